"""Workflow definitions and items in SQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from creditdesk.adapters.tables_workflow import workflow_definitions, workflow_items
from creditdesk.domain.money import Money, currency
from creditdesk.domain.workflows import (
    Approval,
    Completion,
    ItemStatus,
    LineCriteria,
    Step,
    WorkflowDefinition,
    WorkflowItem,
    WorkflowKind,
)


def _money_json(value: Money | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"amount": str(value.amount), "currency": value.currency.code}


def _money(data: Any) -> Money | None:
    if data is None:
        return None
    return Money.of(data["amount"], data["currency"])


def _steps_json(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [
        {
            "approver_role": step.approver_role,
            "approver_users": list(step.approver_users) if step.approver_users else None,
            "above_amount": _money_json(step.above_amount),
        }
        for step in steps
    ]


def _steps(data: list[dict[str, Any]]) -> tuple[Step, ...]:
    return tuple(
        Step(
            item.get("approver_role"),
            tuple(item["approver_users"]) if item.get("approver_users") else None,
            _money(item.get("above_amount")),
        )
        for item in data
    )


def _utc(value: datetime | None) -> datetime | None:
    from creditdesk.adapters.repositories import _utc as utc

    return utc(value)


def _item(row: RowMapping) -> WorkflowItem:
    submitted = _utc(row["submitted_at"])
    assert submitted is not None
    amount = None
    if row["amount_minor"] is not None:
        amount = Money.from_minor(row["amount_minor"], currency(row["amount_currency"]))
    approvals = []
    for a in row["approvals"]:
        at = _utc(datetime.fromisoformat(a["at"]))
        assert at is not None
        approvals.append(Approval(a["step"], a["by"], at, a.get("comment")))
    return WorkflowItem(
        id=row["id"],
        legal_entity=row["legal_entity"],
        kind=WorkflowKind(row["kind"]),
        subject=row["subject"],
        action=row["action"],
        submitted_by=row["submitted_by"],
        submitted_at=submitted,
        steps=_steps(row["steps"]),
        completion=Completion(row["completion"]) if row["completion"] else None,
        amount=amount,
        status=ItemStatus(row["status"]),
        approvals=tuple(approvals),
        comment=row["comment"],
        error=row["error"],
        decided_by=row["decided_by"],
        decided_at=_utc(row["decided_at"]),
        details=dict(row["details"]),
    )


def _item_values(item: WorkflowItem) -> dict[str, Any]:
    return {
        "legal_entity": item.legal_entity,
        "kind": item.kind.value,
        "subject": item.subject,
        "action": item.action,
        "details": item.details,
        "submitted_by": item.submitted_by,
        "submitted_at": item.submitted_at,
        "steps": _steps_json(item.steps),
        "completion": item.completion.value if item.completion else None,
        "amount_minor": item.amount.minor if item.amount is not None else None,
        "amount_currency": item.amount.currency.code if item.amount is not None else None,
        "status": item.status.value,
        "approvals": [
            {"step": a.step, "by": a.by, "at": a.at.isoformat(), "comment": a.comment}
            for a in item.approvals
        ],
        "comment": item.comment,
        "error": item.error,
        "decided_by": item.decided_by,
        "decided_at": item.decided_at,
    }


class SqlWorkflowRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def definition(self, legal_entity: str, kind: WorkflowKind) -> WorkflowDefinition | None:
        d = workflow_definitions
        row = (
            self.conn.execute(
                select(d).where(d.c.legal_entity == legal_entity, d.c.kind == kind.value)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        criteria = row["criteria"] or {}
        percent = criteria.get("percent_change_above")
        return WorkflowDefinition(
            legal_entity=legal_entity,
            kind=kind,
            enabled=row["enabled"],
            steps=_steps(row["steps"]),
            completion=Completion(row["completion"]) if row["completion"] else None,
            criteria=LineCriteria(
                _money(criteria.get("amount_change_above")),
                Decimal(percent) if percent is not None else None,
                tuple(criteria["risk_groups"]) if criteria.get("risk_groups") else None,
            ),
        )

    def put_definition(self, definition: WorkflowDefinition, at: datetime) -> None:
        d = workflow_definitions
        c = definition.criteria
        values = {
            "enabled": definition.enabled,
            "steps": _steps_json(definition.steps),
            "completion": definition.completion.value if definition.completion else None,
            "criteria": {
                "amount_change_above": _money_json(c.amount_change_above),
                "percent_change_above": str(c.percent_change_above)
                if c.percent_change_above is not None
                else None,
                "risk_groups": list(c.risk_groups) if c.risk_groups is not None else None,
            },
            "updated_at": at,
        }
        key = (d.c.legal_entity == definition.legal_entity) & (d.c.kind == definition.kind.value)
        if self.conn.execute(update(d).where(key).values(**values)).rowcount == 0:
            self.conn.execute(
                insert(d).values(
                    legal_entity=definition.legal_entity, kind=definition.kind.value, **values
                )
            )

    def add_item(self, item: WorkflowItem) -> None:
        self.conn.execute(insert(workflow_items).values(id=item.id, **_item_values(item)))

    def update_item(self, item: WorkflowItem) -> None:
        w = workflow_items
        self.conn.execute(update(w).where(w.c.id == item.id).values(**_item_values(item)))

    def item(self, item_id: str, *, lock: bool = False) -> WorkflowItem | None:
        w = workflow_items
        query = select(w).where(w.c.id == item_id)
        if lock:
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return _item(row) if row is not None else None

    def items_for(self, kind: WorkflowKind, subject: str) -> list[WorkflowItem]:
        w = workflow_items
        rows = (
            self.conn.execute(
                select(w).where(w.c.kind == kind.value, w.c.subject == subject).order_by(w.c.id)
            )
            .mappings()
            .all()
        )
        return [_item(row) for row in rows]

    def find(
        self,
        status: str | None,
        legal_entities: tuple[str, ...] | None,
        submitted_by: str | None,
        after_id: str | None,
        limit: int,
    ) -> list[WorkflowItem]:
        w = workflow_items
        query = select(w)
        if status is not None:
            query = query.where(w.c.status == status)
        if legal_entities is not None:
            query = query.where(w.c.legal_entity.in_(legal_entities))
        if submitted_by is not None:
            query = query.where(w.c.submitted_by == submitted_by)
        if after_id is not None:
            query = query.where(w.c.id > after_id)
        rows = self.conn.execute(query.order_by(w.c.id).limit(limit)).mappings().all()
        return [_item(row) for row in rows]
