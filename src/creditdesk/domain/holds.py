"""Credit holds: an order that broke a rule waits here until the credit team acts.

A hold is open (``on_hold``) until it is released (with or without posting), rejected, or
closed because the order was cancelled. Only an open hold changes state; every change is kept
as history by the service layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from creditdesk.domain.errors import HoldNotOpenError
from creditdesk.domain.rules import Reason, ReasonCode
from creditdesk.domain.setup import Checkpoint


def _key(reason: Reason) -> tuple[str, str | None]:
    return reason.code.value, reason.scope.value if reason.scope else None


class HoldStatus(StrEnum):
    ON_HOLD = "on_hold"
    RELEASED = "released"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class HoldReason:
    reason: Reason
    valid: bool = True


@dataclass(frozen=True, slots=True)
class Hold:
    id: str
    legal_entity: str
    sales_order: str
    customer: str
    checkpoint: Checkpoint
    posting: bool
    check_id: str | None
    reasons: tuple[HoldReason, ...]
    created_at: datetime
    status: HoldStatus = HoldStatus.ON_HOLD
    closed_at: datetime | None = None
    closed_by: str | None = None
    release_reason: str | None = None
    review_date: date | None = None
    with_posting: bool | None = None
    reject_reason: str | None = None
    note: str | None = None
    ready_to_release: bool = False
    evaluated_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status == HoldStatus.ON_HOLD

    @property
    def is_forced(self) -> bool:
        return any(r.reason.code == ReasonCode.FORCED for r in self.reasons)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(sorted({r.reason.code.value for r in self.reasons}))

    def evaluate(self, firing: Iterable[Reason], *, at: datetime) -> Hold:
        """Bring the reasons up to date with what a new check fires now (B50–B52).

        A reason that still fires is kept valid with today's figures; one that no longer
        fires is kept, marked invalid; a reason that started firing after the hold was placed
        is added, valid, and keeps the hold. A forced reason always stays valid. Ready to
        release when no reason but a forced one is valid."""
        self._require_open("evaluated")
        now = {_key(reason): reason for reason in firing}
        marked: list[HoldReason] = []
        for held in self.reasons:
            if held.reason.code == ReasonCode.FORCED:
                marked.append(HoldReason(held.reason, True))
            elif _key(held.reason) in now:
                marked.append(HoldReason(now.pop(_key(held.reason)), True))
            else:
                marked.append(HoldReason(held.reason, False))
        marked.extend(HoldReason(reason, True) for reason in now.values())
        ready = not any(r.valid for r in marked if r.reason.code != ReasonCode.FORCED)
        return replace(self, reasons=tuple(marked), ready_to_release=ready, evaluated_at=at)

    @property
    def blocking_reasons(self) -> tuple[Reason, ...]:
        """The reasons that keep the order on hold (every valid one, forced included)."""
        return tuple(r.reason for r in self.reasons if r.valid)

    def force(self, reason: Reason) -> Hold:
        """Add a forced reason to an open hold (it can then never be released automatically)."""
        self._require_open("forced")
        return replace(self, reasons=(*self.reasons, HoldReason(reason)), ready_to_release=False)

    def _require_open(self, action: str) -> None:
        if not self.is_open:
            raise HoldNotOpenError(
                f"hold {self.id} is {self.status.value}; only an open hold can be {action}",
                hold=self.id,
                status=self.status.value,
            )

    def release(
        self,
        *,
        reason: str | None,
        review_date: date | None,
        with_posting: bool,
        at: datetime,
        by: str,
    ) -> Hold:
        self._require_open("released")
        return replace(
            self,
            status=HoldStatus.RELEASED,
            closed_at=at,
            closed_by=by,
            release_reason=reason,
            review_date=review_date,
            with_posting=with_posting,
        )

    def reject(self, *, reason: str | None, note: str | None, at: datetime, by: str) -> Hold:
        self._require_open("rejected")
        return replace(
            self,
            status=HoldStatus.REJECTED,
            closed_at=at,
            closed_by=by,
            reject_reason=reason,
            note=note,
        )

    def cancel(self, *, reason: str | None, at: datetime, by: str) -> Hold:
        self._require_open("cancelled")
        return replace(
            self, status=HoldStatus.CANCELLED, closed_at=at, closed_by=by, release_reason=reason
        )
