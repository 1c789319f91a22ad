"""Legal entities, credit parameters, exchange rates, reasons, account statuses, ranks,
blocking rules, tokens, the audit trail and the health check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from creditdesk.entrypoints.api.contract import (
    ETAG_HEADER,
    ContractRoute,
    IfMatch,
    check_if_match,
    page_of,
    paginate,
    tag_response,
)
from creditdesk.entrypoints.api.dependencies import (
    LimitQuery,
    PrincipalDep,
    RuntimeDep,
    decode_cursor,
    row_id,
)
from creditdesk.entrypoints.api.read_models import (
    AccountStatusPage,
    AccountStatusRead,
    AuditEventPage,
    BlockingRulePage,
    BlockingRuleRead,
    CreditManagementGroupPage,
    CreditManagementGroupRead,
    CreditParametersRead,
    ExchangeRatePage,
    ExchangeRateRead,
    Health,
    LegalEntityPage,
    LegalEntityRead,
    RankPage,
    RankRead,
    ReasonSetupPage,
    ReasonSetupRead,
    TokenPage,
    TokenRead,
)
from creditdesk.entrypoints.api.schemas import (
    AccountStatusIn,
    BlockingRuleIn,
    CreditManagementGroupIn,
    CreditParametersIn,
    ExchangeRateIn,
    LegalEntityIn,
    RankIn,
    ReasonIn,
    TokenIn,
    decimal_text,
)
from creditdesk.service_layer import audit, setup, tokens
from creditdesk.service_layer.setup import CheckpointInput, RuleInput

router = APIRouter(route_class=ContractRoute)
Cursor = str | None


def _id(row: dict[str, Any]) -> str:
    return str(row["id"])


def _code(row: dict[str, Any]) -> str:
    return str(row["code"])


@router.get("/health", tags=["health"], response_model=Health)
def get_health() -> dict[str, str]:
    return {"status": "ok"}


@router.put(
    "/legal-entities/{le}",
    tags=["legal entities"],
    response_model=None,
    responses={
        201: {"model": LegalEntityRead, "description": "created"},
        200: {"model": LegalEntityRead, "description": "updated"},
    },
)
def put_legal_entity(
    le: str, body: LegalEntityIn, rt: RuntimeDep, actor: PrincipalDep
) -> JSONResponse:
    result, created = setup.put_legal_entity(rt, actor, le, body.name, body.accounting_currency)
    return JSONResponse(result, status_code=201 if created else 200)


@router.get("/legal-entities", tags=["legal entities"], response_model=LegalEntityPage)
def list_legal_entities(
    rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: Cursor = None
) -> dict[str, Any]:
    return page_of(setup.list_legal_entities(rt, actor), limit, cursor, _id)


@router.get("/legal-entities/{le}", tags=["legal entities"], response_model=LegalEntityRead)
def get_legal_entity(le: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return setup.get_legal_entity(rt, actor, le)


@router.get(
    "/legal-entities/{le}/credit-parameters",
    tags=["legal entities"],
    response_model=CreditParametersRead,
    responses={200: {"headers": ETAG_HEADER}},
)
def get_credit_parameters(
    le: str, rt: RuntimeDep, actor: PrincipalDep, response: Response
) -> dict[str, Any]:
    body = setup.get_credit_parameters(rt, actor, le)
    tag_response(response, body)
    return body


@router.put(
    "/legal-entities/{le}/credit-parameters",
    tags=["legal entities"],
    response_model=CreditParametersRead,
    responses={200: {"headers": ETAG_HEADER}},
)
def put_credit_parameters(
    le: str,
    body: CreditParametersIn,
    rt: RuntimeDep,
    actor: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    check_if_match(if_match, lambda: setup.get_credit_parameters(rt, actor, le))
    changes: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    if body.checkpoints is not None:
        changes["checkpoints"] = [
            CheckpointInput(c.checkpoint, c.posting, c.pro_forma, c.grace_days)
            for c in body.checkpoints
        ]
    result = setup.update_credit_parameters(rt, actor, le, changes)
    tag_response(response, result)
    return result


@router.post(
    "/exchange-rates", status_code=201, tags=["exchange rates"], response_model=ExchangeRateRead
)
def create_exchange_rate(
    body: ExchangeRateIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return setup.put_exchange_rate(
        rt,
        actor,
        body.from_currency,
        body.to_currency,
        decimal_text(body.rate, "rate"),
        body.valid_from,
    )


@router.get("/exchange-rates", tags=["exchange rates"], response_model=ExchangeRatePage)
def list_exchange_rates(
    rt: RuntimeDep,
    actor: PrincipalDep,
    from_currency: str | None = None,
    to_currency: str | None = None,
    limit: LimitQuery = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return page_of(
        setup.list_exchange_rates(rt, actor, from_currency, to_currency),
        limit,
        cursor,
        lambda row: f"{row['from_currency']}/{row['to_currency']}/{row['valid_from']}",
    )


@router.put(
    "/legal-entities/{le}/reasons/{reason_id}", tags=["setup"], response_model=ReasonSetupRead
)
def put_reason(
    le: str, reason_id: str, body: ReasonIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return setup.put_reason(rt, actor, le, reason_id, body.type, body.description)


@router.get("/legal-entities/{le}/reasons", tags=["setup"], response_model=ReasonSetupPage)
def list_reasons(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: Cursor = None
) -> dict[str, Any]:
    return page_of(setup.list_reasons(rt, actor, le), limit, cursor, _id)


@router.put(
    "/legal-entities/{le}/account-statuses/{status_id}",
    tags=["setup"],
    response_model=AccountStatusRead,
)
def put_account_status(
    le: str, status_id: str, body: AccountStatusIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return setup.put_account_status(rt, actor, le, status_id, body.description, body.on_hold)


@router.get(
    "/legal-entities/{le}/account-statuses", tags=["setup"], response_model=AccountStatusPage
)
def list_account_statuses(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: Cursor = None
) -> dict[str, Any]:
    return page_of(setup.list_account_statuses(rt, actor, le), limit, cursor, _id)


@router.put(
    "/legal-entities/{le}/payment-terms-ranks/{terms}", tags=["setup"], response_model=RankRead
)
def put_payment_terms_rank(
    le: str, terms: str, body: RankIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return setup.put_rank(rt, actor, le, "payment_terms", terms, body.rank)


@router.get("/legal-entities/{le}/payment-terms-ranks", tags=["setup"], response_model=RankPage)
def list_payment_terms_ranks(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: Cursor = None
) -> dict[str, Any]:
    return page_of(setup.list_ranks(rt, actor, le, "payment_terms"), limit, cursor, _code)


@router.put(
    "/legal-entities/{le}/settlement-discount-ranks/{code}", tags=["setup"], response_model=RankRead
)
def put_settlement_discount_rank(
    le: str, code: str, body: RankIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return setup.put_rank(rt, actor, le, "settlement_discount", code, body.rank)


@router.get(
    "/legal-entities/{le}/settlement-discount-ranks", tags=["setup"], response_model=RankPage
)
def list_settlement_discount_ranks(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: Cursor = None
) -> dict[str, Any]:
    return page_of(setup.list_ranks(rt, actor, le, "settlement_discount"), limit, cursor, _code)


@router.get(
    "/legal-entities/{le}/blocking-rules",
    tags=["blocking rules"],
    response_model=BlockingRulePage,
)
def list_blocking_rules(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: Cursor = None
) -> dict[str, Any]:
    return page_of(setup.list_rules(rt, actor, le), limit, cursor, _id)


@router.post(
    "/legal-entities/{le}/blocking-rules",
    status_code=201,
    tags=["blocking rules"],
    response_model=BlockingRuleRead,
)
def create_blocking_rule(
    le: str, body: BlockingRuleIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    data = RuleInput(
        rule=body.rule,
        kind=body.kind,
        valid_for=body.valid_for,
        account_or_group=body.account_or_group,
        risk_group=body.risk_group,
        value_type=body.value_type,
        value=decimal_text(body.value, "value") if body.value is not None else None,
        credit_limit_threshold=decimal_text(body.credit_limit_threshold, "credit_limit_threshold")
        if body.credit_limit_threshold is not None
        else None,
        account_status=body.account_status,
        terms_of_payment=body.terms_of_payment,
        release_sales_order=body.release_sales_order,
    )
    return setup.add_rule(rt, actor, le, data)


@router.delete(
    "/legal-entities/{le}/blocking-rules/{rule_id}", status_code=204, tags=["blocking rules"]
)
def delete_blocking_rule(le: str, rule_id: str, rt: RuntimeDep, actor: PrincipalDep) -> Response:
    setup.delete_rule(rt, actor, le, rule_id)
    return Response(status_code=204)


@router.post("/tokens", status_code=201, tags=["tokens"], response_model=TokenRead)
def create_token(body: TokenIn, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return tokens.create_token(
        rt, actor, body.name, body.role, body.legal_entities, expires_at=body.expires_at
    )


@router.get("/tokens", tags=["tokens"], response_model=TokenPage)
def list_tokens(
    rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: Cursor = None
) -> dict[str, Any]:
    return page_of(tokens.list_tokens(rt, actor), limit, cursor, _id)


@router.delete("/tokens/{token_id}", status_code=204, tags=["tokens"])
def delete_token(token_id: str, rt: RuntimeDep, actor: PrincipalDep) -> Response:
    tokens.revoke_token(rt, actor, token_id)
    return Response(status_code=204)


@router.get("/audit-events", tags=["audit"], response_model=AuditEventPage)
def list_audit_events(
    rt: RuntimeDep,
    actor: PrincipalDep,
    limit: LimitQuery = 100,
    entity: str | None = None,
    key: str | None = None,
    after: str | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    raw = decode_cursor(cursor) if cursor is not None else after
    after_id = None if raw is None else row_id(raw, "after")
    items = audit.list_audit_events(
        rt, actor, entity=entity, key=key, after_id=after_id, limit=limit + 1
    )
    return paginate(items, limit, _id)


@router.delete("/legal-entities/{le}/reasons/{reason_id}", status_code=204, tags=["setup"])
def delete_reason(le: str, reason_id: str, rt: RuntimeDep, actor: PrincipalDep) -> Response:
    setup.delete_reason(rt, actor, le, reason_id)
    return Response(status_code=204)


@router.delete("/legal-entities/{le}/account-statuses/{status_id}", status_code=204, tags=["setup"])
def delete_account_status(le: str, status_id: str, rt: RuntimeDep, actor: PrincipalDep) -> Response:
    setup.delete_account_status(rt, actor, le, status_id)
    return Response(status_code=204)


@router.delete("/legal-entities/{le}/payment-terms-ranks/{terms}", status_code=204, tags=["setup"])
def delete_payment_terms_rank(le: str, terms: str, rt: RuntimeDep, actor: PrincipalDep) -> Response:
    setup.delete_rank(rt, actor, le, "payment_terms", terms)
    return Response(status_code=204)


@router.delete(
    "/legal-entities/{le}/settlement-discount-ranks/{code}", status_code=204, tags=["setup"]
)
def delete_settlement_discount_rank(
    le: str, code: str, rt: RuntimeDep, actor: PrincipalDep
) -> Response:
    setup.delete_rank(rt, actor, le, "settlement_discount", code)
    return Response(status_code=204)


@router.put(
    "/legal-entities/{le}/credit-management-groups/{group_id}",
    tags=["setup"],
    response_model=CreditManagementGroupRead,
)
def put_credit_management_group(
    le: str, group_id: str, body: CreditManagementGroupIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return setup.put_credit_management_group(rt, actor, le, group_id, body.description)


@router.get(
    "/legal-entities/{le}/credit-management-groups",
    tags=["setup"],
    response_model=CreditManagementGroupPage,
)
def list_credit_management_groups(
    le: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: Cursor = None
) -> dict[str, Any]:
    return page_of(setup.list_credit_management_groups(rt, actor, le), limit, cursor, _id)


@router.delete(
    "/legal-entities/{le}/credit-management-groups/{group_id}", status_code=204, tags=["setup"]
)
def delete_credit_management_group(
    le: str, group_id: str, rt: RuntimeDep, actor: PrincipalDep
) -> Response:
    setup.delete_credit_management_group(rt, actor, le, group_id)
    return Response(status_code=204)
