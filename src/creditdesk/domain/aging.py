"""Aged balances: open invoices by how far past their due date they are on a date.

Buckets: ``current`` (not yet due), ``1-30``, ``31-60``, ``61-90`` and ``over_90`` days past due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from creditdesk.domain.money import Currency, Money

BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "over_90")


def bucket_for(due_date: date, as_of: date) -> str:
    days = (as_of - due_date).days
    if days <= 0:
        return "current"
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "over_90"


@dataclass(frozen=True, slots=True)
class AgedBalance:
    currency: Currency
    buckets: dict[str, Money]

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for amount in self.buckets.values():
            total = total + amount
        return total


def age(open_items: Iterable[tuple[date, Money]], as_of: date, cur: Currency) -> AgedBalance:
    """Age (due date, open amount) pairs, all in ``cur``."""
    buckets = {name: Money.zero(cur) for name in BUCKETS}
    for due_date, amount in open_items:
        name = bucket_for(due_date, as_of)
        buckets[name] = buckets[name] + amount
    return AgedBalance(cur, buckets)
