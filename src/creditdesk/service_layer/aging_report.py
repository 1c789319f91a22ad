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
from typing import Any, Protocol

from creditdesk.domain.aging import BUCKETS
from creditdesk.domain.money import Money, currency
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.ports import UnitOfWork
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity


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
        return cls(
            as_of, as_of - timedelta(days=30), as_of - timedelta(days=60), as_of - timedelta(90)
        )


class AgingQueries(Protocol):
    def open_by_bucket(
        self, legal_entity: str, bounds: BucketBounds
    ) -> list[tuple[str, str, str, int]]:
        """(customer account, currency, bucket, open minor units) for every non-empty cell."""
        ...


AgingQueriesFactory = Callable[[UnitOfWork], AgingQueries]


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
    totals: dict[str, dict[str, int]] = {}
    per_customer: dict[tuple[str, str], dict[str, int]] = {}
    for account, code, bucket, minor in cells:
        row = totals.setdefault(code, dict.fromkeys(BUCKETS, 0))
        row[bucket] += minor
        if customers:
            cell = per_customer.setdefault((account, code), dict.fromkeys(BUCKETS, 0))
            cell[bucket] += minor

    def money_row(code: str, minors: dict[str, int]) -> dict[str, Any]:
        cur = currency(code)
        buckets = {name: Money.from_minor(minors[name], cur) for name in BUCKETS}
        total = Money.from_minor(sum(minors.values()), cur)
        return {
            "currency": code,
            "buckets": {name: serialize.money(value) for name, value in buckets.items()},
            "total": serialize.money(total),
        }

    body: dict[str, Any] = {
        "legal_entity": legal_entity,
        "as_of": as_of.isoformat(),
        "totals": [money_row(code, minors) for code, minors in sorted(totals.items())],
        "customers_with_open_items": len({account for account, _ in per_customer})
        if customers
        else None,
    }
    if customers:
        body["customers"] = [
            {"account": account, **money_row(code, minors)}
            for (account, code), minors in sorted(per_customer.items())
        ]
    return body
