"""Maintenance: check every running total of exposure against the documents, and repair drift.

The running totals (``customer_exposure`` per customer and currency, ``group_exposure`` per
credit group, member legal entity and currency) are what a credit check reads. They must always
equal what the documents add up to. ``check_exposure`` recomputes each of them from the
documents and reports every difference; with ``fix`` it also sets the total right.

Each customer and each group is checked in a transaction of its own, under the same locks every
writer of exposure takes (the group row, then the customer row), so a live server can go on
posting documents and running checks meanwhile, and a difference that is reported is real, not
a write that was half seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from creditdesk.domain.exposure import ExposureBucket, ExposureDelta
from creditdesk.domain.money import currency
from creditdesk.service_layer.auth import Permission, Principal, authorize_all_entities
from creditdesk.service_layer.customers import lock_stored
from creditdesk.service_layer.ports import UnitOfWork, run_with_retries
from creditdesk.service_layer.runtime import Runtime

Parts = tuple[int, int, int]
"""Balance, packing slips and open orders in minor units."""

BATCH = 500


@dataclass(frozen=True, slots=True)
class Drift:
    """One running total that does not match the documents."""

    scope: str  # customer | group
    key: str  # "FI01/C100" for a customer, the group id for a group
    legal_entity: str  # the customer's, or the member legal entity of the group row
    currency: str
    stored: Parts
    expected: Parts

    def describe(self) -> str:
        names = ("balance", "packing_slips", "open_orders")
        parts = ", ".join(
            f"{name} {s} ≠ {e}"
            for name, s, e in zip(names, self.stored, self.expected, strict=True)
            if s != e
        )
        where = self.key if self.scope == "customer" else f"{self.key} [{self.legal_entity}]"
        return f"{self.scope} {where} {self.currency}: {parts} (minor units, stored ≠ documents)"


@dataclass
class ExposureReport:
    customers: int = 0
    groups: int = 0
    drifts: list[Drift] = field(default_factory=list)
    fixed: bool = False

    @property
    def clean(self) -> bool:
        return not self.drifts


Progress = Callable[[str, int], None]
"""Told ``("customer" | "group", how many done so far)`` after each one."""


def _totals(buckets: Iterable[ExposureBucket]) -> dict[str, Parts]:
    result: dict[str, Parts] = {}
    for bucket in buckets:
        b, p, o = result.get(bucket.currency.code, (0, 0, 0))
        result[bucket.currency.code] = (
            b + bucket.balance,
            p + bucket.packing_slips,
            o + bucket.open_orders,
        )
    return {code: parts for code, parts in result.items() if parts != (0, 0, 0)}


def _differences(
    stored: dict[str, Parts], expected: dict[str, Parts]
) -> list[tuple[str, Parts, Parts]]:
    return [
        (code, stored.get(code, (0, 0, 0)), expected.get(code, (0, 0, 0)))
        for code in sorted(set(stored) | set(expected))
        if stored.get(code, (0, 0, 0)) != expected.get(code, (0, 0, 0))
    ]


def _delta(code: str, stored: Parts, expected: Parts) -> ExposureDelta:
    return ExposureDelta(
        currency(code),
        expected[0] - stored[0],
        expected[1] - stored[1],
        expected[2] - stored[2],
    )


def _check_customer(uow: UnitOfWork, customer_id: int, fix: bool) -> list[Drift]:
    found = uow.customers.get_by_id(customer_id)
    if found is None:  # pragma: no cover - customers are never deleted
        return []
    stored = lock_stored(uow, found)
    key = stored.customer.key
    drifts = [
        Drift("customer", key, stored.customer.legal_entity, code, before, after)
        for code, before, after in _differences(
            _totals(uow.customers.exposure(stored.id)),
            _totals(uow.documents.recompute_exposure(stored.id)),
        )
    ]
    if fix:
        for drift in drifts:
            uow.customers.apply_exposure(
                stored.id, _delta(drift.currency, drift.stored, drift.expected)
            )
    return drifts


def _check_group(uow: UnitOfWork, group_id: str, fix: bool) -> list[Drift]:
    # the group row's lock keeps every member's exposure still: each writer takes it first
    if uow.groups.get(group_id, lock=True) is None:  # pragma: no cover - never deleted
        return []
    stored: dict[str, list[ExposureBucket]] = {}
    for legal_entity, bucket in uow.groups.exposure(group_id):
        stored.setdefault(legal_entity, []).append(bucket)
    expected: dict[str, list[ExposureBucket]] = {}
    for member in uow.customers.members(group_id):
        expected.setdefault(member.customer.legal_entity, []).extend(
            uow.documents.recompute_exposure(member.id)
        )
    drifts: list[Drift] = []
    for legal_entity in sorted(set(stored) | set(expected)):
        for code, before, after in _differences(
            _totals(stored.get(legal_entity, [])), _totals(expected.get(legal_entity, []))
        ):
            drifts.append(Drift("group", group_id, legal_entity, code, before, after))
    if fix:
        for drift in drifts:
            uow.groups.apply_exposure(
                group_id, drift.legal_entity, _delta(drift.currency, drift.stored, drift.expected)
            )
    return drifts


def check_exposure(
    rt: Runtime,
    actor: Principal,
    *,
    fix: bool = False,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> ExposureReport:
    """Recompute every customer's and every credit group's exposure from the documents and
    report the running totals that differ; with ``fix``, set them to the recomputed sums.

    Customers first, then groups: a fixed customer total never feeds a group total (both are
    recomputed from the documents), so the order only matters for the report."""
    authorize_all_entities(actor, Permission.MANAGE_SETUP)
    report = ExposureReport(fixed=fix)

    def one_customer(customer_id: int) -> list[Drift]:
        with rt.uow() as uow:
            drifts = _check_customer(uow, customer_id, fix)
            if fix and drifts:
                uow.commit()
            return drifts

    def one_group(group_id: str) -> list[Drift]:
        with rt.uow() as uow:
            drifts = _check_group(uow, group_id, fix)
            if fix and drifts:
                uow.commit()
            return drifts

    after_id: int | None = None
    while True:
        with rt.uow(read_only=True) as uow:
            ids = uow.maintenance.customer_ids(after_id, batch)
        for customer_id in ids:
            report.drifts.extend(run_with_retries(partial(one_customer, customer_id)))
            report.customers += 1
            if progress is not None:
                progress("customer", report.customers)
        if len(ids) < batch:
            break
        after_id = ids[-1]

    after_group: str | None = None
    while True:
        with rt.uow(read_only=True) as uow:
            group_ids = uow.maintenance.group_ids(after_group, batch)
        for group_id in group_ids:
            report.drifts.extend(run_with_retries(partial(one_group, group_id)))
            report.groups += 1
            if progress is not None:
                progress("group", report.groups)
        if len(group_ids) < batch:
            break
        after_group = group_ids[-1]
    return report
