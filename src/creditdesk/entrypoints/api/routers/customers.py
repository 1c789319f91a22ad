"""Customers, their credit summary and aged balances; customer credit groups."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Response

from creditdesk.entrypoints.api.contract import (
    ETAG_HEADER,
    ContractRoute,
    IfMatch,
    check_if_match,
    tag_response,
)
from creditdesk.entrypoints.api.dependencies import (
    LimitQuery,
    PrincipalDep,
    RuntimeDep,
    decode_cursor,
    encode_cursor,
)
from creditdesk.entrypoints.api.read_models import (
    CreditDecisionPage,
    CreditGroupRead,
    CreditSummaryRead,
    CustomerAgedBalancesRead,
    CustomerRead,
    GroupAgedBalancesRead,
    MembershipRead,
)
from creditdesk.entrypoints.api.schemas import CreditGroupIn, CustomerIn
from creditdesk.service_layer import customers, groups, queries, serialize
from creditdesk.service_layer.auth import Principal
from creditdesk.service_layer.runtime import Runtime

router = APIRouter(route_class=ContractRoute)


def _customer(rt: Runtime, actor: Principal, le: str, account: str) -> dict[str, Any]:
    customer = customers.get_customer(rt, actor, le, account)
    body = serialize.customer(customer)
    body["derived"] = queries.derived_figures(rt, customer)
    return body


@router.put(
    "/legal-entities/{le}/customers/{account}",
    tags=["customers"],
    response_model=CustomerRead,
    responses={200: {"headers": ETAG_HEADER}},
)
def put_customer(
    le: str,
    account: str,
    body: CustomerIn,
    rt: RuntimeDep,
    actor: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    check_if_match(if_match, lambda: _customer(rt, actor, le, account))
    customers.put_customer(
        rt,
        actor,
        le,
        account,
        name=body.name,
        currency_code=body.currency,
        payment_terms=body.payment_terms,
        settlement_discount=body.settlement_discount,
        credit=body.credit.provided() if body.credit is not None else None,
    )
    return get_customer(le, account, rt, actor, response)


@router.get(
    "/legal-entities/{le}/customers/{account}",
    tags=["customers"],
    response_model=CustomerRead,
    responses={200: {"headers": ETAG_HEADER}},
)
def get_customer(
    le: str, account: str, rt: RuntimeDep, actor: PrincipalDep, response: Response
) -> dict[str, Any]:
    body = _customer(rt, actor, le, account)
    tag_response(response, body)
    return body


@router.get(
    "/legal-entities/{le}/customers/{account}/credit",
    tags=["customers"],
    response_model=CreditSummaryRead,
)
def get_customer_credit_summary(
    le: str, account: str, rt: RuntimeDep, actor: PrincipalDep, as_of: date | None = None
) -> dict[str, Any]:
    return queries.credit_summary(rt, actor, le, account, as_of)


@router.get(
    "/legal-entities/{le}/customers/{account}/aged-balances",
    tags=["customers"],
    response_model=CustomerAgedBalancesRead,
)
def get_customer_aged_balances(
    le: str, account: str, rt: RuntimeDep, actor: PrincipalDep, as_of: date | None = None
) -> dict[str, Any]:
    return queries.customer_aged_balances(rt, actor, le, account, as_of)


@router.get(
    "/legal-entities/{le}/customers/{account}/credit-checks",
    tags=["customers"],
    response_model=CreditDecisionPage,
)
def list_customer_credit_checks(
    le: str,
    account: str,
    rt: RuntimeDep,
    actor: PrincipalDep,
    limit: LimitQuery = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The customer's stored decisions, newest first. The use case reads the newest n, so a
    page reads up to the cursor's decision and past it (the cursor holds that decision's id
    and how far down it was, a hint that grows when newer checks push it down)."""
    after: str | None = None
    depth = 0
    if cursor is not None:
        raw = decode_cursor(cursor) or ""
        after, _, hint = raw.partition("@")
        depth = int(hint) if hint.isdigit() else 0
    while True:
        # the rows down to the cursor's decision (at index ``depth``), a page, and one more
        want = (depth + 1 if after is not None else 0) + limit + 1
        rows = queries.customer_checks(rt, actor, le, account, want)
        start = 0
        if after is not None:
            ids = [row["id"] for row in rows]
            if after not in ids and len(rows) == want:
                depth = depth * 2 + limit  # pushed further down by newer checks: read more
                continue
            if after in ids and ids.index(after) > depth and len(rows) == want:
                depth = ids.index(after)  # found lower than hinted: read the page below it
                continue
            start = ids.index(after) + 1 if after in ids else len(rows)
        page = rows[start : start + limit]
        has_more = len(rows) > start + limit
        position = start + len(page)
        next_cursor = (
            encode_cursor(f"{page[-1]['id']}@{position - 1}") if has_more and page else None
        )
        return {"items": page, "next_cursor": next_cursor, "has_more": has_more}


def _group(rt: Runtime, actor: Principal, group_id: str) -> dict[str, Any]:
    return groups.get_group(rt, actor, group_id)


@router.put(
    "/credit-groups/{group_id}",
    tags=["credit groups"],
    response_model=CreditGroupRead,
    responses={200: {"headers": ETAG_HEADER}},
)
def put_credit_group(
    group_id: str,
    body: CreditGroupIn,
    rt: RuntimeDep,
    actor: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    check_if_match(if_match, lambda: _group(rt, actor, group_id))
    result, _ = groups.put_group(
        rt, actor, group_id, body.description, body.limit.money, body.limit_expires_on
    )
    tag_response(response, result)
    return result


@router.get(
    "/credit-groups/{group_id}",
    tags=["credit groups"],
    response_model=CreditGroupRead,
    responses={200: {"headers": ETAG_HEADER}},
)
def get_credit_group(
    group_id: str, rt: RuntimeDep, actor: PrincipalDep, response: Response
) -> dict[str, Any]:
    body = _group(rt, actor, group_id)
    tag_response(response, body)
    return body


@router.put(
    "/credit-groups/{group_id}/members/{le}/{account}",
    tags=["credit groups"],
    response_model=MembershipRead,
)
def put_credit_group_member(
    group_id: str, le: str, account: str, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return groups.add_member(rt, actor, group_id, le, account)


@router.delete(
    "/credit-groups/{group_id}/members/{le}/{account}", status_code=204, tags=["credit groups"]
)
def delete_credit_group_member(
    group_id: str, le: str, account: str, rt: RuntimeDep, actor: PrincipalDep
) -> Response:
    groups.remove_member(rt, actor, group_id, le, account)
    return Response(status_code=204)


@router.get(
    "/credit-groups/{group_id}/aged-balances",
    tags=["credit groups"],
    response_model=GroupAgedBalancesRead,
)
def get_credit_group_aged_balances(
    group_id: str, rt: RuntimeDep, actor: PrincipalDep, as_of: date | None = None
) -> dict[str, Any]:
    return queries.group_aged_balances(rt, actor, group_id, as_of)
