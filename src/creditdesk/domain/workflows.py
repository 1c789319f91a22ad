"""Approval workflows (reference §9, SPEC capability 10).

A workflow definition per legal entity and kind (journal header, journal line, hold release)
lists approval steps; a step names an approver role or users, and may apply only above an
amount (an optional second step for large changes). A submitted item passes its steps in
order. Segregation of duties: nobody approves their own submission, and one person approves at
most one step of an item. The completion task (post the journal, release the hold with or
without posting) runs when the last step approves; if it fails, the item goes back to the
submitter with the error and nothing is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from creditdesk.domain.errors import (
    DomainError,
    NotAnApproverError,
    SameApproverError,
    SelfApprovalError,
    WorkflowItemStateError,
)
from creditdesk.domain.money import Money


class WorkflowKind(StrEnum):
    CREDIT_LIMIT_JOURNAL = "credit_limit_journal"
    CREDIT_LIMIT_JOURNAL_LINE = "credit_limit_journal_line"
    CREDIT_HOLD_RELEASE = "credit_hold_release"


class Completion(StrEnum):
    POST_AUTOMATICALLY = "post_automatically"
    RELEASE_WITH_POSTING = "release_with_posting"
    RELEASE_WITHOUT_POSTING = "release_without_posting"


_COMPLETIONS: dict[WorkflowKind, set[Completion]] = {
    WorkflowKind.CREDIT_LIMIT_JOURNAL: {Completion.POST_AUTOMATICALLY},
    WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE: {Completion.POST_AUTOMATICALLY},
    WorkflowKind.CREDIT_HOLD_RELEASE: {
        Completion.RELEASE_WITH_POSTING,
        Completion.RELEASE_WITHOUT_POSTING,
    },
}


@dataclass(frozen=True, slots=True)
class Step:
    approver_role: str | None = None
    approver_users: tuple[str, ...] | None = None
    above_amount: Money | None = None

    def applies_to(self, amount: Money | None) -> bool:
        """A step with a threshold applies only to items strictly above it."""
        if self.above_amount is None:
            return True
        if amount is None or amount.currency != self.above_amount.currency:
            return True  # cannot compare: ask for the approval rather than skip it
        return amount > self.above_amount

    def allows(self, user: str, role: str) -> bool:
        if self.approver_users is not None and user in self.approver_users:
            return True
        return self.approver_role is not None and role in (self.approver_role, "admin")


@dataclass(frozen=True, slots=True)
class LineCriteria:
    """Which journal lines need approval (line-level workflows); none set = every line."""

    amount_change_above: Money | None = None
    percent_change_above: Decimal | None = None
    risk_groups: tuple[str, ...] | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.amount_change_above is None
            and self.percent_change_above is None
            and self.risk_groups is None
        )

    def needs_approval(self, current: Money | None, new: Money, risk_group: str | None) -> bool:
        if self.is_empty:
            return True
        if self.risk_groups is not None and risk_group in self.risk_groups:
            return True
        base = current if current is not None and current.currency == new.currency else None
        change = new - base if base is not None else new
        if self.amount_change_above is not None and (
            change.currency != self.amount_change_above.currency
            or abs(change) > self.amount_change_above
        ):
            return True
        if self.percent_change_above is not None:
            if base is None or base.is_zero:
                return not change.is_zero
            percent = abs(change.amount) * 100 / base.amount
            if percent > self.percent_change_above:
                return True
        return False


@dataclass(frozen=True, slots=True)
class WorkflowDefinition:
    legal_entity: str
    kind: WorkflowKind
    enabled: bool
    steps: tuple[Step, ...]
    completion: Completion | None = None
    criteria: LineCriteria = LineCriteria()

    def __post_init__(self) -> None:
        if self.enabled and not self.steps:
            raise DomainError("an enabled workflow needs at least one approval step")
        for step in self.steps:
            if step.approver_role is None and not step.approver_users:
                raise DomainError("every step names an approver role or approver users")
        if self.completion is not None and self.completion not in _COMPLETIONS[self.kind]:
            allowed = ", ".join(sorted(c.value for c in _COMPLETIONS[self.kind]))
            raise DomainError(f"completion of a {self.kind.value} workflow is one of {allowed}")
        if not self.criteria.is_empty and self.kind != WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE:
            raise DomainError("line criteria belong to credit_limit_journal_line workflows")


class ItemStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    COMPLETED = "completed"
    REJECTED = "rejected"
    RECALLED = "recalled"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class Approval:
    step: int
    by: str
    at: datetime
    comment: str | None


@dataclass(frozen=True, slots=True)
class WorkflowItem:
    """One submission: a journal, a journal line or a hold action, through its steps."""

    id: str
    legal_entity: str
    kind: WorkflowKind
    subject: str
    action: str
    submitted_by: str
    submitted_at: datetime
    steps: tuple[Step, ...]
    completion: Completion | None
    amount: Money | None = None
    status: ItemStatus = ItemStatus.PENDING
    approvals: tuple[Approval, ...] = ()
    comment: str | None = None
    error: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def submit(
        cls,
        *,
        id: str,
        definition: WorkflowDefinition,
        subject: str,
        action: str,
        by: str,
        at: datetime,
        amount: Money | None,
        details: dict[str, Any] | None = None,
    ) -> WorkflowItem:
        steps = tuple(step for step in definition.steps if step.applies_to(amount))
        return cls(
            id=id,
            legal_entity=definition.legal_entity,
            kind=definition.kind,
            subject=subject,
            action=action,
            submitted_by=by,
            submitted_at=at,
            steps=steps or definition.steps[:1],
            completion=definition.completion,
            amount=amount,
            details=dict(details or {}),
        )

    @property
    def next_step(self) -> int | None:
        if self.status != ItemStatus.PENDING:
            return None
        index = len(self.approvals)
        return index if index < len(self.steps) else None

    def can_approve(self, user: str, role: str) -> bool:
        step = self.next_step
        return (
            step is not None
            and user != self.submitted_by
            and all(a.by != user for a in self.approvals)
            and self.steps[step].allows(user, role)
        )

    def _require(self, *states: ItemStatus, action: str) -> None:
        if self.status not in states:
            raise WorkflowItemStateError(
                f"workflow item {self.id} is {self.status.value}; it cannot be {action}",
                item=self.id,
                status=self.status.value,
            )

    def approve(self, *, by: str, role: str, at: datetime, comment: str | None) -> WorkflowItem:
        """Approve the next step; the item is approved once every step is."""
        self._require(ItemStatus.PENDING, action="approved")
        if by == self.submitted_by:
            raise SelfApprovalError("nobody approves their own submission", item=self.id)
        if any(a.by == by for a in self.approvals):
            raise SameApproverError(
                "the same person cannot approve two steps of one item", item=self.id
            )
        step = len(self.approvals)
        if not self.steps[step].allows(by, role):
            raise NotAnApproverError(
                f"step {step + 1} of workflow item {self.id} is not for {by}", item=self.id
            )
        approvals = (*self.approvals, Approval(step, by, at, comment))
        done = len(approvals) == len(self.steps)
        return replace(
            self,
            approvals=approvals,
            status=ItemStatus.APPROVED if done else ItemStatus.PENDING,
            decided_by=by if done else None,
            decided_at=at if done else None,
        )

    def complete(self) -> WorkflowItem:
        self._require(ItemStatus.APPROVED, action="completed")
        return replace(self, status=ItemStatus.COMPLETED, error=None)

    def return_with(self, error: str, *, at: datetime) -> WorkflowItem:
        """The completion task failed: back to the submitter, approvals kept for the record."""
        return replace(self, status=ItemStatus.RETURNED, error=error, decided_at=at)

    def reject(self, *, by: str, role: str, at: datetime, comment: str | None) -> WorkflowItem:
        self._require(ItemStatus.PENDING, action="rejected")
        if by == self.submitted_by:
            raise SelfApprovalError("nobody decides on their own submission", item=self.id)
        step = self.next_step
        if step is None or not self.steps[step].allows(by, role):
            raise NotAnApproverError(f"workflow item {self.id} is not waiting for {by}")
        return replace(
            self, status=ItemStatus.REJECTED, comment=comment, decided_by=by, decided_at=at
        )

    def recall(self, *, by: str, at: datetime, comment: str | None) -> WorkflowItem:
        self._require(ItemStatus.PENDING, ItemStatus.APPROVED, action="recalled")
        if by != self.submitted_by:
            raise NotAnApproverError("only the submitter recalls an item", item=self.id)
        return replace(
            self, status=ItemStatus.RECALLED, comment=comment, decided_by=by, decided_at=at
        )

    def resubmit(self, *, by: str, at: datetime) -> WorkflowItem:
        """Back into the workflow from the start after a rejection, recall or failure."""
        self._require(
            ItemStatus.REJECTED, ItemStatus.RECALLED, ItemStatus.RETURNED, action="resubmitted"
        )
        if by != self.submitted_by:
            raise NotAnApproverError("only the submitter resubmits an item", item=self.id)
        return replace(
            self,
            status=ItemStatus.PENDING,
            approvals=(),
            error=None,
            comment=None,
            submitted_at=at,
            decided_by=None,
            decided_at=None,
        )
