"""Approval workflows: definitions, submissions and the inbox."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool, StrictStr

from creditdesk.entrypoints.api.contract import ContractRoute, paginate
from creditdesk.entrypoints.api.dependencies import (
    LimitQuery,
    PrincipalDep,
    RuntimeDep,
    decode_cursor,
)
from creditdesk.entrypoints.api.read_models import (
    WorkflowItemItems,
    WorkflowItemPage,
    WorkflowItemRead,
    WorkflowRead,
)
from creditdesk.entrypoints.api.schemas import Input, IsoDate, MoneyIn, decimal_text
from creditdesk.service_layer import workflows

router = APIRouter(tags=["workflows"], route_class=ContractRoute)
WorkflowKindPath = Literal[
    "credit_limit_journal", "credit_limit_journal_line", "credit_hold_release"
]


class StepIn(Input):
    approver_role: (
        Literal["admin", "credit_manager", "credit_clerk", "approver", "integration", "viewer"]
        | None
    ) = None
    approver_users: list[StrictStr] | None = Field(default=None, max_length=100)
    above_amount: MoneyIn | None = None


class CriteriaIn(Input):
    amount_change_above: MoneyIn | None = None
    percent_change_above: StrictStr | None = Field(default=None, max_length=20)
    risk_groups: list[StrictStr] | None = Field(default=None, max_length=100)


class WorkflowIn(Input):
    enabled: StrictBool = True
    steps: list[StepIn] = Field(default_factory=list, max_length=10)
    completion: (
        Literal["post_automatically", "release_with_posting", "release_without_posting"] | None
    ) = None
    criteria: CriteriaIn | None = None


class HoldSubmitIn(Input):
    action: Literal["release", "reject"]
    reason: StrictStr | None = Field(default=None, max_length=40)
    review_date: IsoDate | None = None
    with_posting: StrictBool = False
    note: StrictStr | None = Field(default=None, max_length=4000)


class CommentIn(Input):
    comment: StrictStr | None = Field(default=None, max_length=4000)


@router.put("/legal-entities/{le}/workflows/{kind}", response_model=WorkflowRead)
def put_workflow(
    le: str, kind: WorkflowKindPath, body: WorkflowIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    criteria = body.criteria or CriteriaIn()
    return workflows.put_workflow(
        rt,
        actor,
        le,
        kind,
        enabled=body.enabled,
        steps=[
            workflows.StepInput(
                s.approver_role,
                s.approver_users,
                s.above_amount.money if s.above_amount is not None else None,
            )
            for s in body.steps
        ],
        completion=body.completion,
        amount_change_above=criteria.amount_change_above.money
        if criteria.amount_change_above is not None
        else None,
        percent_change_above=decimal_text(criteria.percent_change_above, "percent_change_above")
        if criteria.percent_change_above is not None
        else None,
        risk_groups=criteria.risk_groups,
    )


@router.get("/legal-entities/{le}/workflows/{kind}", response_model=WorkflowRead)
def get_workflow(
    le: str, kind: WorkflowKindPath, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return workflows.get_workflow(rt, actor, le, kind)


@router.post(
    "/legal-entities/{le}/credit-limit-journals/{journal_id}/submit",
    status_code=201,
    response_model=WorkflowItemItems,
)
def submit_credit_limit_journal(
    le: str, journal_id: str, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    """Submit a journal to its workflow: one item (header level) or one per line needing
    approval (line level)."""
    return {"items": workflows.submit_journal(rt, actor, le, journal_id)}


@router.post(
    "/credit-holds/{hold_id}/submit",
    status_code=201,
    response_model=None,
    responses={201: {"model": WorkflowItemRead, "description": "the submitted workflow item"}},
)
def submit_credit_hold(
    hold_id: str, body: HoldSubmitIn, rt: RuntimeDep, actor: PrincipalDep
) -> JSONResponse:
    """Send a release or rejection to the hold release workflow (forced holds: 409)."""
    item = workflows.submit_hold(
        rt,
        actor,
        hold_id,
        action=body.action,
        reason=body.reason,
        review_date=body.review_date,
        with_posting=body.with_posting,
        note=body.note,
    )
    return JSONResponse(item, status_code=201)


@router.get("/workflow-items", response_model=WorkflowItemPage)
def list_workflow_items(
    rt: RuntimeDep,
    actor: PrincipalDep,
    status: Literal["pending", "approved", "completed", "rejected", "recalled", "returned"]
    | None = Query(default="pending"),
    mine: bool = False,
    limit: LimitQuery = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The caller's inbox: pending items whose next step the caller may approve; with
    ``mine=true`` the caller's own submissions."""
    items = workflows.list_items(
        rt, actor, status=status, mine=mine, after_id=decode_cursor(cursor), limit=limit + 1
    )
    return paginate(items, limit, lambda item: str(item["id"]))


@router.get("/workflow-items/{item_id}", response_model=WorkflowItemRead)
def get_workflow_item(item_id: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return workflows.get_item(rt, actor, item_id)


@router.post("/workflow-items/{item_id}/approve", response_model=WorkflowItemRead)
def approve_workflow_item(
    item_id: str, body: CommentIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return workflows.approve(rt, actor, item_id, body.comment)


@router.post("/workflow-items/{item_id}/reject", response_model=WorkflowItemRead)
def reject_workflow_item(
    item_id: str, body: CommentIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return workflows.reject(rt, actor, item_id, body.comment)


@router.post("/workflow-items/{item_id}/recall", response_model=WorkflowItemRead)
def recall_workflow_item(
    item_id: str, body: CommentIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return workflows.recall(rt, actor, item_id, body.comment)


@router.post("/workflow-items/{item_id}/resubmit", response_model=WorkflowItemRead)
def resubmit_workflow_item(item_id: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return workflows.resubmit(rt, actor, item_id)
