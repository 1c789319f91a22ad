"""Credit holds: only an open hold can be released, rejected or cancelled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from creditdesk.domain.errors import HoldNotOpenError
from creditdesk.domain.holds import Hold, HoldReason, HoldStatus
from creditdesk.domain.limits import LimitScope
from creditdesk.domain.rules import Reason, ReasonCode
from tests.unit.domain.builders import a_hold

CLOSED_AT = datetime(2025, 4, 1, 14, 30, tzinfo=UTC)


def release(hold: Hold) -> Hold:
    return hold.release(
        reason="R1", review_date=date(2025, 5, 1), with_posting=True, at=CLOSED_AT, by="anna"
    )


def reject(hold: Hold) -> Hold:
    return hold.reject(reason="FRAUD", note="called the customer", at=CLOSED_AT, by="anna")


def cancel(hold: Hold) -> Hold:
    return hold.cancel(reason="CANCELLED", at=CLOSED_AT, by="system")


def test_a_new_hold_is_open() -> None:
    hold = a_hold()

    assert hold.status is HoldStatus.ON_HOLD
    assert hold.is_open
    assert hold.closed_at is None


def test_releasing_with_posting_closes_the_hold_with_reason_and_review_date() -> None:
    hold = a_hold()

    released = release(hold)

    assert released.status is HoldStatus.RELEASED
    assert not released.is_open
    assert released.release_reason == "R1"
    assert released.review_date == date(2025, 5, 1)
    assert released.with_posting is True
    assert released.closed_at == CLOSED_AT
    assert released.closed_by == "anna"
    assert released.reasons == hold.reasons


def test_releasing_without_posting_records_that_nothing_was_posted() -> None:
    hold = a_hold()

    released = hold.release(
        reason=None, review_date=None, with_posting=False, at=CLOSED_AT, by="anna"
    )

    assert released.status is HoldStatus.RELEASED
    assert released.with_posting is False
    assert released.release_reason is None


def test_rejecting_closes_the_hold_with_reason_and_note() -> None:
    hold = a_hold()

    rejected = reject(hold)

    assert rejected.status is HoldStatus.REJECTED
    assert rejected.reject_reason == "FRAUD"
    assert rejected.note == "called the customer"
    assert rejected.closed_at == CLOSED_AT
    assert rejected.closed_by == "anna"
    assert rejected.release_reason is None


def test_cancelling_closes_the_hold_with_the_cancel_reason() -> None:
    hold = a_hold()

    cancelled = cancel(hold)

    assert cancelled.status is HoldStatus.CANCELLED
    assert cancelled.release_reason == "CANCELLED"
    assert cancelled.closed_by == "system"
    assert cancelled.closed_at == CLOSED_AT


def test_acting_on_a_hold_leaves_the_original_unchanged() -> None:
    hold = a_hold()

    release(hold)

    assert hold.is_open
    assert hold.closed_at is None


@pytest.mark.parametrize("status", [HoldStatus.RELEASED, HoldStatus.REJECTED, HoldStatus.CANCELLED])
@pytest.mark.parametrize("action", [release, reject, cancel])
def test_a_closed_hold_cannot_change_state(
    status: HoldStatus, action: Callable[[Hold], Hold]
) -> None:
    hold = a_hold(status)

    with pytest.raises(HoldNotOpenError) as raised:
        action(hold)

    assert raised.value.code == "hold_not_open"
    assert raised.value.details == {"hold": "H-1", "status": status.value}


def test_a_released_hold_cannot_be_released_again() -> None:
    released = release(a_hold())

    with pytest.raises(HoldNotOpenError):
        release(released)


# --- evaluate for release (B50–B52): every reason brought up to date ---------------------------


def _reason(code: ReasonCode, scope: LimitScope | None = None, note: str = "") -> Reason:
    return Reason(code, f"{code.value} {note}".strip(), scope=scope)


def _held(*reasons: Reason) -> Hold:
    return replace(a_hold(), reasons=tuple(HoldReason(r) for r in reasons))


EVALUATED_AT = datetime(2025, 4, 2, 8, 0, tzinfo=UTC)


def test_a_reason_that_still_fires_stays_valid_with_todays_figures() -> None:
    hold = _held(_reason(ReasonCode.CREDIT_LIMIT_EXCEEDED, LimitScope.INDIVIDUAL, "old"))
    today = _reason(ReasonCode.CREDIT_LIMIT_EXCEEDED, LimitScope.INDIVIDUAL, "new")

    evaluated = hold.evaluate([today], at=EVALUATED_AT)

    assert [(r.reason.message, r.valid) for r in evaluated.reasons] == [
        ("credit_limit_exceeded new", True)
    ]
    assert evaluated.ready_to_release is False


def test_a_reason_that_no_longer_fires_is_kept_marked_invalid_and_the_hold_is_ready() -> None:
    hold = _held(_reason(ReasonCode.DAYS_OVERDUE))

    evaluated = hold.evaluate([], at=EVALUATED_AT)

    assert [(r.reason.code, r.valid) for r in evaluated.reasons] == [
        (ReasonCode.DAYS_OVERDUE, False)
    ]
    assert evaluated.ready_to_release is True
    assert evaluated.blocking_reasons == ()


def test_a_reason_that_started_firing_after_the_hold_was_placed_keeps_it() -> None:
    hold = _held(_reason(ReasonCode.DAYS_OVERDUE))
    grown = _reason(ReasonCode.CREDIT_LIMIT_EXCEEDED, LimitScope.INDIVIDUAL)

    evaluated = hold.evaluate([grown], at=EVALUATED_AT)

    assert [(r.reason.code, r.valid) for r in evaluated.reasons] == [
        (ReasonCode.DAYS_OVERDUE, False),
        (ReasonCode.CREDIT_LIMIT_EXCEEDED, True),
    ]
    assert evaluated.ready_to_release is False
    assert evaluated.blocking_reasons == (grown,)


def test_a_hold_on_the_individual_limit_is_kept_when_the_group_limit_fails_too() -> None:
    hold = _held(_reason(ReasonCode.CREDIT_LIMIT_EXCEEDED, LimitScope.INDIVIDUAL))
    firing = [
        _reason(ReasonCode.CREDIT_LIMIT_EXCEEDED, LimitScope.GROUP),
        _reason(ReasonCode.CREDIT_LIMIT_EXCEEDED, LimitScope.INDIVIDUAL),
    ]

    evaluated = hold.evaluate(firing, at=EVALUATED_AT)

    assert all(r.valid for r in evaluated.reasons)
    assert {r.reason.scope for r in evaluated.reasons} == {LimitScope.GROUP, LimitScope.INDIVIDUAL}
    assert evaluated.ready_to_release is False


def test_a_forced_reason_stays_valid_and_blocking_whatever_fires() -> None:
    forced = _reason(ReasonCode.FORCED)
    hold = _held(forced, _reason(ReasonCode.DAYS_OVERDUE))

    evaluated = hold.evaluate([], at=EVALUATED_AT)

    assert evaluated.is_forced
    assert evaluated.blocking_reasons == (forced,)
    assert evaluated.evaluated_at == EVALUATED_AT
