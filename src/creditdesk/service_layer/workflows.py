"""Use cases for approval workflows: definitions, submission, the inbox, approve / reject /
recall / resubmit, and the completion tasks (post the journal, release or reject the hold).

The completion task runs in the same transaction as the last approval. If it fails, that
transaction is rolled back and, in a new one, the item is returned to the submitter with the
error: nothing is half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from creditdesk.domain.adjustments import Journal, JournalLine
from creditdesk.domain.errors import (
    CreditDeskError,
    DomainError,
    ForcedHoldError,
    WorkflowItemStateError,
    WorkflowNotEnabledError,
    WorkflowRequiredError,
)
from creditdesk.domain.events import EventType
from creditdesk.domain.holds import Hold
from creditdesk.domain.money import Money
from creditdesk.domain.workflows import (
    Completion,
    ItemStatus,
    LineCriteria,
    Step,
    WorkflowDefinition,
    WorkflowItem,
    WorkflowKind,
)
from creditdesk.service_layer import events, serialize
from creditdesk.service_layer.auth import Permission, Principal, Role, authorize
from creditdesk.service_layer.errors import HoldNotFoundError, JournalNotFoundError, NotFoundError
from creditdesk.service_layer.ports import UnitOfWork, run_with_retries
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity

HOLD_ACTIONS = ("release", "reject")


@dataclass(frozen=True, slots=True)
class StepInput:
    approver_role: str | None = None
    approver_users: list[str] | None = None
    above_amount: Money | None = None


def _kind(value: str) -> WorkflowKind:
    try:
        return WorkflowKind(value)
    except ValueError:
        choices = ", ".join(k.value for k in WorkflowKind)
        raise NotFoundError(f"unknown workflow kind {value!r}; kinds: {choices}") from None


def definition_body(definition: WorkflowDefinition) -> dict[str, Any]:
    c = definition.criteria
    return {
        "legal_entity": definition.legal_entity,
        "kind": definition.kind.value,
        "enabled": definition.enabled,
        "steps": [
            {
                "approver_role": step.approver_role,
                "approver_users": list(step.approver_users) if step.approver_users else None,
                "above_amount": serialize.money(step.above_amount),
            }
            for step in definition.steps
        ],
        "completion": definition.completion.value if definition.completion else None,
        "criteria": {
            "amount_change_above": serialize.money(c.amount_change_above),
            "percent_change_above": str(c.percent_change_above)
            if c.percent_change_above is not None
            else None,
            "risk_groups": list(c.risk_groups) if c.risk_groups is not None else None,
        },
    }


def item_body(item: WorkflowItem, viewer: Principal | None = None) -> dict[str, Any]:
    body = {
        "id": item.id,
        "legal_entity": item.legal_entity,
        "kind": item.kind.value,
        "subject": item.subject,
        "action": item.action,
        "details": item.details,
        "status": item.status.value,
        "submitted_by": item.submitted_by,
        "submitted_at": serialize.plain(item.submitted_at),
        "amount": serialize.money(item.amount),
        "completion": item.completion.value if item.completion else None,
        "steps": len(item.steps),
        "next_step": item.next_step + 1 if item.next_step is not None else None,
        "approvals": [
            {"step": a.step + 1, "by": a.by, "at": serialize.plain(a.at), "comment": a.comment}
            for a in item.approvals
        ],
        "comment": item.comment,
        "error": item.error,
        "decided_by": item.decided_by,
        "decided_at": serialize.plain(item.decided_at),
    }
    if viewer is not None:
        body["can_approve"] = item.can_approve(viewer.name, viewer.role.value)
    return body


def put_workflow(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    kind: str,
    *,
    enabled: bool,
    steps: list[StepInput],
    completion: str | None,
    amount_change_above: Money | None = None,
    percent_change_above: Decimal | None = None,
    risk_groups: list[str] | None = None,
) -> dict[str, Any]:
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    roles = {r.value for r in Role}
    for step in steps:
        if step.approver_role is not None and step.approver_role not in roles:
            raise DomainError(f"unknown approver role {step.approver_role!r}")
        if step.above_amount is not None and step.above_amount.is_negative:
            raise DomainError("a step threshold cannot be negative")
    try:
        done = Completion(completion) if completion is not None else None
    except ValueError:
        raise DomainError(f"unknown completion task {completion!r}") from None
    definition = WorkflowDefinition(
        legal_entity=legal_entity,
        kind=_kind(kind),
        enabled=enabled,
        steps=tuple(
            Step(
                s.approver_role,
                tuple(s.approver_users) if s.approver_users else None,
                s.above_amount,
            )
            for s in steps
        ),
        completion=done,
        criteria=LineCriteria(
            amount_change_above,
            percent_change_above,
            tuple(risk_groups) if risk_groups is not None else None,
        ),
    )

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            before = uow.workflows.definition(legal_entity, definition.kind)
            now = rt.clock.now()
            uow.workflows.put_definition(definition, now)
            body = definition_body(definition)
            uow.audit.add(
                now,
                actor.name,
                "put",
                "workflow",
                f"{legal_entity}/{kind}",
                definition_body(before) if before is not None else None,
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def get_workflow(rt: Runtime, actor: Principal, legal_entity: str, kind: str) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    workflow_kind = _kind(kind)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        definition = uow.workflows.definition(legal_entity, workflow_kind)
    if definition is None:
        return definition_body(WorkflowDefinition(legal_entity, workflow_kind, False, ()))
    return definition_body(definition)


def active_definition(
    uow: UnitOfWork, legal_entity: str, kind: WorkflowKind
) -> WorkflowDefinition | None:
    definition = uow.workflows.definition(legal_entity, kind)
    return definition if definition is not None and definition.enabled else None


def consume_approval(
    uow: UnitOfWork, legal_entity: str, kind: WorkflowKind, subject: str, action: str
) -> WorkflowItem | None:
    """Direct posting or releasing when a workflow is on: allowed only with an approved item
    (a workflow without a completion task merely permits the action); the item is then
    completed. Without a workflow, returns None."""
    if active_definition(uow, legal_entity, kind) is None:
        return None
    for item in uow.workflows.items_for(kind, subject):
        if item.status == ItemStatus.APPROVED and item.action == action:
            completed = item.complete()
            uow.workflows.update_item(completed)
            return completed
    raise WorkflowRequiredError(
        f"a {kind.value} workflow is active in {legal_entity}: submit it for approval",
        subject=subject,
    )


def _add_item(uow: UnitOfWork, rt: Runtime, actor: Principal, item: WorkflowItem) -> None:
    for other in uow.workflows.items_for(item.kind, item.subject):
        if other.status in (ItemStatus.PENDING, ItemStatus.APPROVED):
            raise WorkflowItemStateError(
                f"{item.subject} already has workflow item {other.id} ({other.status.value})",
                item=other.id,
            )
    uow.workflows.add_item(item)
    now = rt.clock.now()
    uow.audit.add(now, actor.name, "submit", "workflow_item", item.id, None, item_body(item))
    events.record(
        uow, now, EventType.WORKFLOW_SUBMITTED, item.legal_entity, item.id, item_body(item)
    )


def submit_hold(
    rt: Runtime,
    actor: Principal,
    hold_id: str,
    *,
    action: str,
    reason: str | None = None,
    review_date: date | None = None,
    with_posting: bool = False,
    note: str | None = None,
) -> dict[str, Any]:
    """Send a hold's release or rejection to the release workflow (forced holds refused)."""
    if action not in HOLD_ACTIONS:
        raise DomainError(f"action must be one of {', '.join(HOLD_ACTIONS)}", action=action)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            hold = uow.holds.get(hold_id)
            if hold is None or not actor.sees(hold.legal_entity):
                raise HoldNotFoundError(f"credit hold {hold_id} does not exist", hold=hold_id)
            authorize(actor, Permission.WORK_HOLDS, hold.legal_entity)
            if hold.is_forced:
                raise ForcedHoldError(
                    f"hold {hold_id} is a forced hold: it cannot go through workflow (B53)",
                    hold=hold_id,
                )
            if not hold.is_open:
                from creditdesk.domain.errors import HoldNotOpenError

                raise HoldNotOpenError(f"hold {hold_id} is {hold.status.value}", hold=hold_id)
            definition = active_definition(uow, hold.legal_entity, WorkflowKind.CREDIT_HOLD_RELEASE)
            if definition is None:
                raise WorkflowNotEnabledError(
                    f"no credit hold release workflow is active in {hold.legal_entity}"
                )
            _check_hold_reason(uow, hold, action, reason)
            order = uow.orders.get(hold.legal_entity, hold.sales_order)
            item = WorkflowItem.submit(
                id=rt.new_id("wfi"),
                definition=definition,
                subject=hold.id,
                action=action,
                by=actor.name,
                at=rt.clock.now(),
                amount=order.amount if order is not None else None,
                details={
                    "sales_order": hold.sales_order,
                    "customer": hold.customer,
                    "reason": reason,
                    "review_date": serialize.plain(review_date),
                    "with_posting": with_posting,
                    "note": note,
                },
            )
            _add_item(uow, rt, actor, item)
            uow.commit()
            return item_body(item, actor)

    return run_with_retries(work)


def _check_hold_reason(uow: UnitOfWork, hold: Hold, action: str, reason: str | None) -> None:
    if reason is None:
        return
    types = ("release",) if action == "release" else ("release", "hold")
    found = uow.setup.reason(hold.legal_entity, reason)
    if found is None or found[0] not in types:
        from creditdesk.domain.errors import UnknownReasonError

        raise UnknownReasonError(f"{reason} is not a {' or '.join(types)} reason", reason=reason)


def submit_journal(
    rt: Runtime, actor: Principal, legal_entity: str, journal_id: str
) -> list[dict[str, Any]]:
    """Submit a journal: one item for a header-level workflow, or one per line that meets the
    criteria of a line-level workflow (lines that do not need approval need none)."""
    authorize(actor, Permission.PREPARE_JOURNALS, legal_entity)

    def work() -> list[dict[str, Any]]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            journal = uow.journals.get(legal_entity, journal_id)
            if journal is None:
                raise JournalNotFoundError(
                    f"credit limit journal {journal_id} does not exist in {legal_entity}",
                    journal=journal_id,
                )
            journal.ensure_open()
            header = active_definition(uow, legal_entity, WorkflowKind.CREDIT_LIMIT_JOURNAL)
            lines = active_definition(uow, legal_entity, WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE)
            if header is None and lines is None:
                raise WorkflowNotEnabledError(
                    f"no credit limit journal workflow is active in {legal_entity}"
                )
            now = rt.clock.now()
            items: list[WorkflowItem] = []
            if header is not None:
                total = _journal_total(journal)
                items.append(
                    WorkflowItem.submit(
                        id=rt.new_id("wfi"),
                        definition=header,
                        subject=f"{legal_entity}/{journal_id}",
                        action="post",
                        by=actor.name,
                        at=now,
                        amount=total,
                        details={"journal": journal_id, "lines": len(journal.lines)},
                    )
                )
            else:
                assert lines is not None
                for line in journal.lines:
                    risk_group = line_risk_group(uow, legal_entity, line)
                    if not lines.criteria.needs_approval(
                        line.current_limit, line.new_limit, risk_group
                    ):
                        continue
                    items.append(
                        WorkflowItem.submit(
                            id=rt.new_id("wfi"),
                            definition=lines,
                            subject=f"{legal_entity}/{journal_id}/{line.line_no}",
                            action="approve_line",
                            by=actor.name,
                            at=now,
                            amount=line.new_limit,
                            details={
                                "journal": journal_id,
                                "line": line.line_no,
                                "target": line.target.id,
                                "new_limit": serialize.money(line.new_limit),
                                "current_limit": serialize.money(line.current_limit),
                            },
                        )
                    )
            for item in items:
                _add_item(uow, rt, actor, item)
            uow.commit()
            return [item_body(item, actor) for item in items]

    return run_with_retries(work)


def _journal_total(journal: Journal) -> Money | None:
    total: Money | None = None
    for line in journal.lines:
        if total is None:
            total = line.new_limit
        elif line.new_limit.currency == total.currency:
            total = total + line.new_limit
        else:
            return None
    return total


def line_risk_group(uow: UnitOfWork, legal_entity: str, line: JournalLine) -> str | None:
    """The risk group of a line's customer (a credit group line has none): a line-level
    workflow's criteria may name risk groups."""
    if line.target.customer is None:
        return None
    found = uow.customers.get(legal_entity, line.target.customer)
    return found.customer.credit.risk_group if found is not None else None


def require_journal_approval(uow: UnitOfWork, legal_entity: str, journal: Journal) -> None:
    """Guard of journal posting: with a header workflow the journal needs an approved item;
    with a line workflow every line that meets the criteria needs one. Approved items are
    completed by the posting."""
    subject = f"{legal_entity}/{journal.id}"
    if active_definition(uow, legal_entity, WorkflowKind.CREDIT_LIMIT_JOURNAL) is not None:
        _complete_approved(uow, WorkflowKind.CREDIT_LIMIT_JOURNAL, subject, "post")
    lines = active_definition(uow, legal_entity, WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE)
    if lines is None:
        return
    for line in journal.lines:
        risk_group = line_risk_group(uow, legal_entity, line)
        if lines.criteria.needs_approval(line.current_limit, line.new_limit, risk_group):
            _complete_approved(
                uow,
                WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE,
                f"{subject}/{line.line_no}",
                "approve_line",
            )


def _complete_approved(uow: UnitOfWork, kind: WorkflowKind, subject: str, action: str) -> None:
    for item in uow.workflows.items_for(kind, subject):
        if item.action == action and item.status == ItemStatus.APPROVED:
            uow.workflows.update_item(item.complete())
            return
        if (
            item.action == action
            and item.status == ItemStatus.COMPLETED
            and (kind == WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE)
        ):
            return
    raise WorkflowRequiredError(
        f"{subject} needs an approved {kind.value} workflow item before it can be posted",
        subject=subject,
    )


def require_hold_approval(uow: UnitOfWork, hold: Hold, action: str) -> None:
    """Guard of a direct release or rejection when the release workflow is active. A forced
    hold never goes through a workflow (B53), so a person who may work holds releases or
    rejects it directly."""
    if hold.is_forced:
        return
    if active_definition(uow, hold.legal_entity, WorkflowKind.CREDIT_HOLD_RELEASE) is None:
        return
    _complete_approved(uow, WorkflowKind.CREDIT_HOLD_RELEASE, hold.id, action)


def _require_item(uow: UnitOfWork, actor: Principal, item_id: str) -> WorkflowItem:
    item = uow.workflows.item(item_id, lock=True)
    if item is None or not actor.sees(item.legal_entity):
        raise NotFoundError(f"workflow item {item_id} does not exist", item=item_id)
    return item


def _run_completion(uow: UnitOfWork, rt: Runtime, item: WorkflowItem) -> None:
    """The completion task, as the workflow (the approvers' decision), in this transaction.
    Holds and journals register their tasks with the runtime (``bootstrap`` wires them), so
    the approval engine knows no use case of theirs."""
    task = rt.completions.get(item.kind.value)
    if task is None:
        raise RuntimeError(f"no completion task is registered for {item.kind.value} items")
    task(uow, rt, f"workflow:{item.id}", item)


def _completes_now(item: WorkflowItem) -> bool:
    if item.status != ItemStatus.APPROVED or item.completion is None:
        return False
    if item.kind == WorkflowKind.CREDIT_HOLD_RELEASE:
        return item.action == "reject" or item.completion in (
            Completion.RELEASE_WITH_POSTING,
            Completion.RELEASE_WITHOUT_POSTING,
        )
    return item.completion == Completion.POST_AUTOMATICALLY


def approve(rt: Runtime, actor: Principal, item_id: str, comment: str | None) -> dict[str, Any]:
    """Approve the next step; on the last one the completion task runs in the same
    transaction. A failing task rolls everything back and returns the item to the submitter
    with the error."""
    failure: list[str] = []

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            item = _require_item(uow, actor, item_id)
            authorize(actor, Permission.APPROVE, item.legal_entity)
            now = rt.clock.now()
            approved = item.approve(by=actor.name, role=actor.role.value, at=now, comment=comment)
            final = approved
            uow.workflows.update_item(approved)
            if _completes_now(approved):
                try:
                    _run_completion(uow, rt, approved)
                except CreditDeskError as error:
                    failure.append(f"{error.code}: {error}")
                    raise
                if approved.kind == WorkflowKind.CREDIT_HOLD_RELEASE or (
                    approved.kind == WorkflowKind.CREDIT_LIMIT_JOURNAL
                ):
                    final = approved.complete()
                    uow.workflows.update_item(final)
                else:
                    final = uow.workflows.item(item_id) or approved
            uow.audit.add(
                now,
                actor.name,
                "approve",
                "workflow_item",
                item.id,
                item_body(item),
                item_body(final),
            )
            kind = (
                EventType.WORKFLOW_COMPLETED
                if final.status == ItemStatus.COMPLETED
                else EventType.WORKFLOW_APPROVED
            )
            events.record(uow, now, kind, item.legal_entity, item.id, item_body(final))
            uow.commit()
            return item_body(final, actor)

    try:
        return run_with_retries(work)
    except CreditDeskError:
        if not failure:
            raise

    def returned() -> dict[str, Any]:
        with rt.uow() as uow:
            item = _require_item(uow, actor, item_id)
            now = rt.clock.now()
            approved = item.approve(by=actor.name, role=actor.role.value, at=now, comment=comment)
            back = approved.return_with(failure[-1], at=now)
            uow.workflows.update_item(back)
            uow.audit.add(
                now,
                actor.name,
                "return",
                "workflow_item",
                item.id,
                item_body(item),
                item_body(back),
            )
            events.record(
                uow, now, EventType.WORKFLOW_RETURNED, item.legal_entity, item.id, item_body(back)
            )
            uow.commit()
            return item_body(back, actor)

    return run_with_retries(returned)


def _decide(
    rt: Runtime, actor: Principal, item_id: str, comment: str | None, how: str
) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            item = _require_item(uow, actor, item_id)
            now = rt.clock.now()
            if how == "reject":
                authorize(actor, Permission.APPROVE, item.legal_entity)
                changed = item.reject(by=actor.name, role=actor.role.value, at=now, comment=comment)
                kind = EventType.WORKFLOW_REJECTED
            elif how == "recall":
                changed = item.recall(by=actor.name, at=now, comment=comment)
                kind = EventType.WORKFLOW_RECALLED
            else:
                changed = item.resubmit(by=actor.name, at=now)
                kind = EventType.WORKFLOW_SUBMITTED
            uow.workflows.update_item(changed)
            uow.audit.add(
                now, actor.name, how, "workflow_item", item.id, item_body(item), item_body(changed)
            )
            events.record(uow, now, kind, item.legal_entity, item.id, item_body(changed))
            uow.commit()
            return item_body(changed, actor)

    return run_with_retries(work)


def reject(rt: Runtime, actor: Principal, item_id: str, comment: str | None) -> dict[str, Any]:
    return _decide(rt, actor, item_id, comment, "reject")


def recall(rt: Runtime, actor: Principal, item_id: str, comment: str | None) -> dict[str, Any]:
    return _decide(rt, actor, item_id, comment, "recall")


def resubmit(rt: Runtime, actor: Principal, item_id: str) -> dict[str, Any]:
    return _decide(rt, actor, item_id, None, "resubmit")


def get_item(rt: Runtime, actor: Principal, item_id: str) -> dict[str, Any]:
    authorize(actor, Permission.READ)
    with rt.uow(read_only=True) as uow:
        item = uow.workflows.item(item_id)
        if item is None or not actor.sees(item.legal_entity):
            raise NotFoundError(f"workflow item {item_id} does not exist", item=item_id)
        return item_body(item, actor)


def list_items(
    rt: Runtime,
    actor: Principal,
    *,
    status: str | None = "pending",
    mine: bool = False,
    after_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The caller's inbox: items waiting for a step the caller may approve (or, with
    ``mine``, the caller's own submissions)."""
    authorize(actor, Permission.READ)
    if status is not None and status not in {s.value for s in ItemStatus}:
        raise DomainError(
            f"status must be one of {', '.join(s.value for s in ItemStatus)}", status=status
        )
    scope = tuple(sorted(actor.legal_entities)) if actor.legal_entities is not None else None
    result: list[dict[str, Any]] = []
    with rt.uow(read_only=True) as uow:
        after = after_id
        while len(result) < limit:
            page = uow.workflows.find(status, scope, actor.name if mine else None, after, 500)
            for item in page:
                if (
                    mine
                    or status != ItemStatus.PENDING.value
                    or item.can_approve(actor.name, actor.role.value)
                ):
                    result.append(item_body(item, actor))
                    if len(result) == limit:
                        break
            if len(page) < 500:
                break
            after = page[-1].id
    return result
