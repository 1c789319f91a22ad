"""The credit check and the hold list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from creditdesk.domain.setup import Checkpoint
from creditdesk.entrypoints.api.contract import ContractRoute, paginate
from creditdesk.entrypoints.api.dependencies import (
    LimitQuery,
    PrincipalDep,
    RuntimeDep,
    decode_cursor,
)
from creditdesk.entrypoints.api.read_models import (
    CreditDecisionRead,
    HoldEvaluationItems,
    HoldItems,
    HoldPage,
    HoldRead,
)
from creditdesk.entrypoints.api.schemas import (
    CreditCheckIn,
    EvaluateIn,
    ForceHoldIn,
    ForceHoldsIn,
    RejectIn,
    ReleaseIn,
)
from creditdesk.service_layer import checks, holds

router = APIRouter(route_class=ContractRoute)
HoldStatusQuery = Annotated[Literal["on_hold", "released", "rejected", "cancelled"] | None, Query()]
CheckpointQuery = Annotated[
    Literal["confirmation", "picking_list", "packing_slip", "invoice"] | None, Query()
]


# The decision is plain JSON already (strings, numbers, lists): it is rendered as it is, not
# walked again by FastAPI's jsonable_encoder (which cost more than the check's own SQL) nor
# validated against its model, which is declared for the document only.


@router.post(
    "/legal-entities/{le}/sales-orders/{order_id}/credit-checks",
    tags=["credit checks"],
    response_model=None,
    responses={200: {"model": CreditDecisionRead, "description": "the decision"}},
)
def create_credit_check(
    le: str, order_id: str, body: CreditCheckIn, rt: RuntimeDep, actor: PrincipalDep
) -> JSONResponse:
    return JSONResponse(
        checks.run_credit_check(
            rt,
            actor,
            checks.CheckRequest(
                le, order_id, Checkpoint(body.checkpoint), body.posting, body.as_of
            ),
        )
    )


@router.get(
    "/credit-checks/{check_id}",
    tags=["credit checks"],
    response_model=None,
    responses={200: {"model": CreditDecisionRead, "description": "the stored decision"}},
)
def get_credit_check(check_id: str, rt: RuntimeDep, actor: PrincipalDep) -> JSONResponse:
    return JSONResponse(checks.get_credit_check(rt, actor, check_id))


@router.get("/credit-holds", tags=["credit holds"], response_model=HoldPage)
def list_credit_holds(
    rt: RuntimeDep,
    actor: PrincipalDep,
    limit: LimitQuery = 100,
    cursor: str | None = None,
    status: HoldStatusQuery = None,
    legal_entity: str | None = None,
    customer: str | None = None,
    sales_order: str | None = None,
    reason: str | None = None,
    checkpoint: CheckpointQuery = None,
    created_from: date | None = None,
    created_to: date | None = None,
    ready_to_release: bool | None = None,
) -> dict[str, Any]:
    """The hold list across the legal entities the caller may see, oldest first."""
    items = holds.list_holds(
        rt,
        actor,
        status=status,
        legal_entity=legal_entity,
        customer=customer,
        sales_order=sales_order,
        reason=reason,
        checkpoint=checkpoint,
        created_from=created_from,
        created_to=created_to,
        ready_to_release=ready_to_release,
        after_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    return paginate(items, limit, lambda item: str(item["id"]))


@router.post("/credit-holds/evaluate", tags=["credit holds"], response_model=HoldEvaluationItems)
def evaluate_credit_holds(body: EvaluateIn, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    """Evaluate for release: re-run the rules of the selected (or all open) holds; reasons that
    no longer apply are marked invalid, and holds with none left are ready to release and,
    unless forced, released with the legal entity's automatic release reason."""
    items = holds.evaluate_for_release(
        rt,
        actor,
        hold_ids=body.hold_ids,
        legal_entity=body.legal_entity,
        customer=body.customer,
    )
    return {"items": items}


@router.post(
    "/legal-entities/{le}/sales-orders/{order_id}/force-hold",
    status_code=201,
    tags=["credit holds"],
    response_model=None,
    responses={
        201: {"model": HoldRead, "description": "the order was put on hold"},
        200: {"model": HoldRead, "description": "the order was on hold: the reason was added"},
    },
)
def force_credit_hold(
    le: str, order_id: str, body: ForceHoldIn, rt: RuntimeDep, actor: PrincipalDep
) -> JSONResponse:
    """Put the order on hold with a forced reason (a reason of type hold); an order already
    on hold gets the forced reason added (200)."""
    result, created = holds.force_hold(
        rt, actor, le, order_id, body.reason, Checkpoint(body.checkpoint)
    )
    return JSONResponse(result, status_code=201 if created else 200)


@router.post("/legal-entities/{le}/force-holds", tags=["credit holds"], response_model=HoldItems)
def force_credit_holds(
    le: str, body: ForceHoldsIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    """Force credit hold (periodic): every open order matching the filters goes on hold."""
    items = holds.force_holds(
        rt, actor, le, body.reason, customers=body.customers, sales_orders=body.sales_orders
    )
    return {"items": items}


@router.get("/credit-holds/{hold_id}", tags=["credit holds"], response_model=HoldRead)
def get_credit_hold(hold_id: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return holds.get_hold(rt, actor, hold_id)


@router.post("/credit-holds/{hold_id}/release", tags=["credit holds"], response_model=HoldRead)
def release_credit_hold(
    hold_id: str, body: ReleaseIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return holds.release_hold(
        rt,
        actor,
        hold_id,
        reason=body.reason,
        review_date=body.review_date,
        with_posting=body.with_posting,
    )


@router.post("/credit-holds/{hold_id}/reject", tags=["credit holds"], response_model=HoldRead)
def reject_credit_hold(
    hold_id: str, body: RejectIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return holds.reject_hold(rt, actor, hold_id, reason=body.reason, note=body.note)
