"""Aged balances: open invoices bucketed by days past due on the aging date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from creditdesk.domain.aging import BUCKETS, age, bucket_for
from creditdesk.domain.money import Money
from tests.unit.domain.builders import EUR, eur

AS_OF = date(2025, 3, 31)


@pytest.mark.parametrize(
    ("days_past_due", "bucket"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "over_90"),
        (400, "over_90"),
    ],
)
def test_an_invoice_falls_in_the_bucket_of_its_days_past_due(
    days_past_due: int, bucket: str
) -> None:
    due_date = AS_OF - timedelta(days=days_past_due)

    assert bucket_for(due_date, AS_OF) == bucket


def test_aging_puts_every_open_amount_in_its_bucket() -> None:
    items = [
        (date(2025, 4, 15), eur("100")),  # not yet due
        (date(2025, 3, 31), eur("50")),  # due today
        (date(2025, 3, 1), eur("200")),  # 30 days
        (date(2025, 2, 28), eur("300")),  # 31 days
        (date(2024, 12, 1), eur("400")),  # 120 days
        (date(2024, 11, 1), eur("-25")),  # an old credit note
    ]

    aged = age(items, AS_OF, EUR)

    assert aged.buckets == {
        "current": eur("150"),
        "1-30": eur("200"),
        "31-60": eur("300"),
        "61-90": Money.zero(EUR),
        "over_90": eur("375"),
    }
    assert aged.total == eur("1,025")


def test_aging_nothing_gives_every_bucket_at_zero() -> None:
    aged = age([], AS_OF, EUR)

    assert list(aged.buckets) == list(BUCKETS)
    assert aged.total == Money.zero(EUR)
