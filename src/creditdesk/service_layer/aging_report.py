"""Aged balances of a whole legal entity in one pass (set-based), for reports over many
customers: open invoices summed per customer, currency and aging bucket by the database,
with the buckets of ``domain.aging`` (current, 1-30, 31-60, 61-90, over_90 days past due).

The per-customer report (``queries.customer_aged_balances``) reads a customer's open invoices
and ages them in Python; this one lets the database group a million open invoices at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from creditdesk.domain.aging import BUCKETS
from creditdesk.domain.errors import InvalidDateError
from creditdesk.domain.money import Currency, check_minor, currency
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.ports import UnitOfWork
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity

EARLIEST_AS_OF = date.min + timedelta(days=90)
"""The oldest bucket starts 90 days before the report date: an earlier date has no bounds."""


@dataclass(frozen=True, slots=True)
class BucketBounds:
    """Due dates on or after each bound fall in the bucket: ``current`` from ``as_of``, 1-30
    from ``as_of`` − 30 days, and so on; older is ``over_90``."""

    current: date
    days_30: date
    days_60: date
    days_90: date

    @classmethod
    def on(cls, as_of: date) -> BucketBounds:
        if as_of < EARLIEST_AS_OF:
            raise InvalidDateError(
                f"aged balances need a date on or after {EARLIEST_AS_OF} (the oldest bucket "
                "starts 90 days before it)",
                as_of=as_of.isoformat(),
            )
        return cls(
            as_of, as_of - timedelta(days=30), as_of - timedelta(days=60), as_of - timedelta(90)
        )


class AgingQueries(Protocol):
    def open_by_bucket(
        self, legal_entity: str, bounds: BucketBounds
    ) -> list[tuple[str, str, list[int]]]:
        """(customer account, currency, open minor units of each bucket in ``BUCKETS`` order)
        for every customer and currency with open invoices."""
        ...


AgingQueriesFactory = Callable[[UnitOfWork], AgingQueries]


def amount_text(minor: int, cur: Currency) -> str:
    """``serialize.money(Money.from_minor(minor, cur))["amount"]`` without building the Money:
    an integer scaled to the currency's exponent is already canonical (``Decimal('0E-2')`` is
    ``0.00``), so only the range check of ``Money`` remains: the same ``check_minor``."""
    check_minor(minor, cur)  # raises AmountOutOfRangeError past 64-bit minor units
    return str(Decimal(minor).scaleb(-cur.exponent))


def _money_row(code: str, minors: list[int]) -> dict[str, Any]:
    cur = currency(code)
    return {
        "currency": code,
        "buckets": {
            name: {"amount": amount_text(minor, cur), "currency": code}
            for name, minor in zip(BUCKETS, minors, strict=True)
        },
        "total": {"amount": amount_text(sum(minors), cur), "currency": code},
    }


def legal_entity_aging(
    rt: Runtime, actor: Principal, legal_entity: str, as_of: date, *, customers: bool = True
) -> dict[str, Any]:
    """Aged open balances of every customer of a legal entity and their totals per currency."""
    authorize(actor, Permission.READ, legal_entity)
    factory = rt.aging_queries
    if factory is None:
        raise RuntimeError("this runtime has no aging queries")
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        cells = factory(uow).open_by_bucket(legal_entity, BucketBounds.on(as_of))
    totals: dict[str, list[int]] = {}
    per_customer: dict[tuple[str, str], list[int]] = {}
    for account, code, minors in cells:
        row = totals.get(code)
        if row is None:
            totals[code] = list(minors)
        else:
            for n, minor in enumerate(minors):
                row[n] += minor
        if customers:
            cell = per_customer.get((account, code))
            if cell is None:
                per_customer[(account, code)] = list(minors)
            else:  # not from one GROUP BY, but kept exact whatever the adapter returns
                for n, minor in enumerate(minors):
                    cell[n] += minor

    body: dict[str, Any] = {
        "legal_entity": legal_entity,
        "as_of": as_of.isoformat(),
        "totals": [_money_row(code, minors) for code, minors in sorted(totals.items())],
        "customers_with_open_items": len({account for account, _ in per_customer})
        if customers
        else None,
    }
    if customers:
        body["customers"] = [
            {"account": account, **_money_row(code, minors)}
            for (account, code), minors in sorted(per_customer.items())
        ]
    return body
