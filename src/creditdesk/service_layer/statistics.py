"""Balance statistics: calculate (reference §8.1) and delete outdated records (§8.4, B68–B71).

The calculation runs over the customers of a legal entity in chunks, each chunk in its own
transaction: a handful of set-based aggregate queries per chunk (no per-customer queries),
the figures computed in the domain, the rows of that as-of date replaced. Running it again for
the same date replaces the same rows, so an interrupted run can simply be started again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from creditdesk.domain.money import Currency, Money, currency
from creditdesk.domain.statistics import (
    BalanceStatistics,
    StatisticsParameters,
    average_balance,
    average_payment_days,
    balance_points,
    check_cutoff,
    dso,
    months_back,
)
from creditdesk.service_layer import audit
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.ports import (
    StatisticsInput,
    StatisticsWindows,
    UnitOfWork,
    run_with_retries,
)
from creditdesk.service_layer.rates import RateBook
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity

CHUNK = 2_000
Progress = Callable[[int, int], None]
"""Called with (customers done, customers in all) after each chunk."""


def windows(as_of: date, params: StatisticsParameters) -> StatisticsWindows:
    return StatisticsWindows(
        as_of=as_of,
        sales1_start=months_back(as_of, params.dso1_months),
        sales2_start=months_back(as_of, params.dso2_months),
        payments_start=months_back(as_of, params.payment_days_months),
        balance_points=balance_points(as_of, params.average_balance_months),
    )


def figures(
    item: StatisticsInput,
    params: StatisticsParameters,
    span: StatisticsWindows,
    cur: Currency,
    book: RateBook,
) -> BalanceStatistics:
    """One customer's statistics in ``cur`` (the legal entity's accounting currency)."""
    balance = Money.zero(cur)
    sales1 = Money.zero(cur)
    sales2 = Money.zero(cur)
    weighted = Money.zero(cur)
    for code, parts in sorted(item.by_currency.items()):
        source = currency(code)
        balance = balance + book.convert(Money.from_minor(parts.balance, source), cur)
        sales1 = sales1 + book.convert(Money.from_minor(parts.sales1, source), cur)
        sales2 = sales2 + book.convert(Money.from_minor(parts.sales2, source), cur)
        weighted = weighted + book.convert(Money.from_minor(parts.weighted_balance, source), cur)
    return BalanceStatistics(
        as_of=span.as_of,
        dso1=dso(
            balance.amount, sales1.amount, span.as_of, params.dso1_months, item.customer_since
        ),
        dso2=dso(
            balance.amount, sales2.amount, span.as_of, params.dso2_months, item.customer_since
        ),
        average_payment_days=average_payment_days(item.payment_days_total, item.payments_counted),
        average_balance=average_balance(weighted, len(span.balance_points)),
    )


def compute(
    uow: UnitOfWork,
    legal_entity: str,
    customer_ids: Sequence[int],
    params: StatisticsParameters,
    as_of: date,
    cur: Currency,
) -> dict[int, BalanceStatistics]:
    """The statistics of a chunk of customers, from set-based aggregates."""
    span = windows(as_of, params)
    book = RateBook(uow.rates, as_of)
    return {
        item.customer_id: figures(item, params, span, cur, book)
        for item in uow.statistics.aggregates(legal_entity, customer_ids, span)
    }


def chunks(ids: Sequence[int], size: int) -> list[Sequence[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def calculate_balance_statistics(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    *,
    as_of: date | None = None,
    accounts: Sequence[str] | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK,
) -> dict[str, Any]:
    """Calculate the balance statistics of every customer (or the listed ones) on ``as_of``."""
    authorize(actor, Permission.MANAGE_LIMITS, legal_entity)
    day = as_of or rt.clock.today()
    with rt.uow(read_only=True) as uow:
        entity = require_entity(uow, legal_entity)
        params = uow.statistics.parameters(legal_entity)
        ids = uow.statistics.customer_ids(legal_entity, accounts)
    cur = entity.accounting_currency
    done = 0
    for part in chunks(ids, chunk_size):

        def work(part: Sequence[int] = part) -> int:
            # read in a read-only transaction, then write briefly: on SQLite the write lock
            # is held only for the writes, not for the aggregation
            with rt.uow(read_only=True) as uow:
                stats = compute(uow, legal_entity, part, params, day, cur)
            with rt.uow() as uow:
                uow.statistics.save(legal_entity, sorted(stats.items()), cur.code, rt.clock.now())
                uow.commit()
            return len(stats)

        done += run_with_retries(work)
        if progress is not None:
            progress(done, len(ids))
    result = {"legal_entity": legal_entity, "as_of": day.isoformat(), "calculated": done}

    audit.record_run(rt, actor, "calculate_balance_statistics", legal_entity, result)
    return result


def delete_outdated_statistics(
    rt: Runtime, actor: Principal, legal_entity: str, until: date | None
) -> dict[str, Any]:
    """Delete statistics dated before ``until`` (default today − 1 year), keeping at least the
    parameter's months of history (B71)."""
    authorize(actor, Permission.MANAGE_LIMITS, legal_entity)
    today = rt.clock.today()
    cutoff = until or months_back(today, 12)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            check_cutoff(cutoff, today, uow.statistics.parameters(legal_entity))
            deleted = uow.statistics.delete_before(legal_entity, cutoff)
            result = {"legal_entity": legal_entity, "until": cutoff.isoformat(), "deleted": deleted}
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "delete_balance_statistics",
                "legal_entity",
                legal_entity,
                None,
                result,
            )
            uow.commit()
            return result

    return run_with_retries(work)


def get_parameters(rt: Runtime, actor: Principal, legal_entity: str) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return asdict(uow.statistics.parameters(legal_entity))


def put_parameters(
    rt: Runtime, actor: Principal, legal_entity: str, changes: dict[str, int]
) -> dict[str, Any]:
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            before = uow.statistics.parameters(legal_entity)
            after = StatisticsParameters(**{**asdict(before), **changes})
            if after != before:
                uow.statistics.put_parameters(legal_entity, after)
                uow.audit.add(
                    rt.clock.now(),
                    actor.name,
                    "update",
                    "statistics_parameters",
                    legal_entity,
                    asdict(before),
                    asdict(after),
                )
            uow.commit()
            return asdict(after)

    return run_with_retries(work)
