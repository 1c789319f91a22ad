"""Credit limit adjustment journals and temporary limits (reference §6; B60–B62, A-07)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditdesk.domain.adjustments import (
    CustomerOrGroupError,
    Journal,
    JournalPostedError,
    JournalType,
    OverlappingTemporaryLimitError,
    Period,
    RoundingForm,
    Target,
    TemporaryDatesRequiredError,
    TemporaryLimit,
    ValueType,
    active_temporary,
    adjusted_limit,
    check_no_overlap,
    make_line,
    relative_expiry,
    relative_period,
)
from creditdesk.domain.errors import ExpirationDateRequiredError, InvalidDateError
from tests.unit.domain.builders import eur

C100 = Target(customer="C100")


def test_b60_a_line_with_both_a_customer_and_a_credit_group_is_rejected() -> None:
    with pytest.raises(CustomerOrGroupError):
        Target.of("C100", "G1")


def test_a_line_with_neither_a_customer_nor_a_credit_group_is_rejected() -> None:
    with pytest.raises(CustomerOrGroupError):
        Target.of(None, None)


def test_b61_a_credit_limit_line_without_a_new_expiration_date_is_rejected() -> None:
    with pytest.raises(ExpirationDateRequiredError):
        make_line(JournalType.CREDIT_LIMIT, 1, C100, "C100", eur("20,000"), None, None, None, None)


def test_a_temporary_line_needs_both_its_from_and_to_dates() -> None:
    with pytest.raises(TemporaryDatesRequiredError):
        make_line(
            JournalType.TEMPORARY_CREDIT_LIMIT,
            1,
            C100,
            "C100",
            eur("20,000"),
            None,
            None,
            date(2025, 1, 1),
            None,
        )


def test_a_temporary_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidDateError):
        Period(date(2025, 2, 1), date(2025, 1, 31))


def test_b62_fixed_plus_5000_rounded_up_to_1000_gives_18000() -> None:
    proposed = adjusted_limit(
        eur("12,345"), Decimal(5000), ValueType.FIXED, Decimal(1000), RoundingForm.UP
    )

    assert proposed == eur("18,000")


def test_b62_ten_percent_rounded_down_to_10_gives_13570() -> None:
    proposed = adjusted_limit(
        eur("12,345"), Decimal(10), ValueType.PERCENT, Decimal(10), RoundingForm.DOWN
    )

    assert proposed == eur("13,570")


def test_a_negative_adjustment_never_goes_below_zero() -> None:
    proposed = adjusted_limit(
        eur("1,000"), Decimal(-5000), ValueType.FIXED, Decimal(1), RoundingForm.DOWN
    )

    assert proposed == eur("0")


def test_a_posted_journal_cannot_change() -> None:
    journal = Journal("FI01", "CLA000001", JournalType.CREDIT_LIMIT, "", posted=True)

    with pytest.raises(JournalPostedError):
        journal.ensure_open()


def test_the_temporary_limit_applies_from_its_first_to_its_last_day_inclusive() -> None:
    limits = [TemporaryLimit(C100, eur("20,000"), Period(date(2025, 1, 1), date(2025, 1, 31)))]

    assert active_temporary(limits, date(2024, 12, 31)) is None
    assert active_temporary(limits, date(2025, 1, 1)) is not None
    assert active_temporary(limits, date(2025, 1, 31)) is not None
    assert active_temporary(limits, date(2025, 2, 1)) is None


def test_a07_overlapping_temporary_limits_of_one_target_are_rejected() -> None:
    existing = [TemporaryLimit(C100, eur("20,000"), Period(date(2025, 1, 1), date(2025, 1, 31)))]

    with pytest.raises(OverlappingTemporaryLimitError):
        check_no_overlap([(C100, Period(date(2025, 1, 31), date(2025, 2, 10)))], existing)


def test_adjacent_temporary_limits_and_other_targets_do_not_overlap() -> None:
    existing = [TemporaryLimit(C100, eur("20,000"), Period(date(2025, 1, 1), date(2025, 1, 31)))]

    check_no_overlap(
        [
            (C100, Period(date(2025, 2, 1), date(2025, 2, 28))),
            (Target(credit_group="G1"), Period(date(2025, 1, 1), date(2025, 1, 31))),
        ],
        existing,
    )


def test_two_new_lines_for_one_target_may_not_overlap_each_other() -> None:
    with pytest.raises(OverlappingTemporaryLimitError):
        check_no_overlap(
            [
                (C100, Period(date(2025, 1, 1), date(2025, 1, 31))),
                (C100, Period(date(2025, 1, 15), date(2025, 2, 15))),
            ],
            [],
        )


def test_relative_dates_are_offsets_from_the_generation_date_or_the_current_expiry() -> None:
    today = date(2025, 6, 1)

    assert relative_period(today, 0, 30) == Period(date(2025, 6, 1), date(2025, 7, 1))
    assert relative_expiry(date(2025, 12, 31), today, 365) == date(2026, 12, 31)
    assert relative_expiry(None, today, 30) == date(2025, 7, 1)
