"""Read-side use cases: the credit summary of a customer and aged balances."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from creditdesk.domain.aging import BUCKETS, age
from creditdesk.domain.customers import Customer
from creditdesk.domain.exposure import exposure_in
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.money import Money, percent_of
from creditdesk.service_layer import limit_sources, serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.customers import require_customer
from creditdesk.service_layer.errors import PermissionDeniedError
from creditdesk.service_layer.groups import require_group, require_visible_group
from creditdesk.service_layer.ports import StoredCustomer, UnitOfWork
from creditdesk.service_layer.rates import RateBook
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity


def group_figures(
    uow: UnitOfWork, stored_group: CreditGroup, as_of: date, book: RateBook
) -> dict[str, Any]:
    """A group's limit on ``as_of`` (its active temporary limit, if any), its exposure in the
    group currency over every member, and what is available."""
    group = limit_sources.group_on(uow, stored_group, as_of)
    assert group is not None
    group_exposure = exposure_in(
        [b for _, b in uow.groups.exposure(group.id)], group.limit.currency, book.convert
    ).total
    return {
        "id": group.id,
        "limit": serialize.money(group.limit),
        "limit_expires_on": group.limit_expires_on.isoformat(),
        "exposure": serialize.money(group_exposure),
        "available": serialize.money(group.limit - group_exposure),
    }


def _summary(uow: UnitOfWork, stored: StoredCustomer, as_of: date) -> dict[str, Any]:
    customer = stored.customer
    credit = customer.credit
    entity = require_entity(uow, customer.legal_entity)
    book = RateBook(uow.rates, as_of)
    total = limit_sources.total_limit_on(uow, stored, as_of, book)
    cur = total.currency if total is not None else customer.currency
    buckets = [
        replace(b, credit_limit_type=entity.parameters.credit_limit_type)
        for b in uow.customers.exposure(stored.id)
    ]
    exposure = exposure_in(buckets, cur, book.convert)
    limited = total is not None and not credit.unlimited_limit
    available = total - exposure.total if limited and total is not None else None
    percent = percent_of(exposure.total, total) if limited and total is not None else None
    amounts, oldest_due = uow.documents.overdue(stored.id, as_of)
    overdue = Money.zero(cur)
    for amount in amounts:
        overdue = overdue + book.convert(amount, cur)
    group_body: dict[str, Any] | None = None
    if customer.credit_group is not None:
        group_body = group_figures(uow, require_group(uow, customer.credit_group), as_of, book)
    return {
        "legal_entity": customer.legal_entity,
        "account": customer.account,
        "as_of": as_of.isoformat(),
        "limit": serialize.money(credit.limit),
        "limit_expires_on": serialize.plain(credit.limit_expires_on),
        "mandatory_limit": credit.mandatory_limit,
        "unlimited_limit": credit.unlimited_limit,
        "exposure": {
            "balance": serialize.money(exposure.balance),
            "packing_slips": serialize.money(exposure.packing_slips),
            "open_orders": serialize.money(exposure.open_orders),
            "total": serialize.money(exposure.total),
        },
        "credit_limit_type": entity.parameters.credit_limit_type.value,
        "available": serialize.money(available),
        "percent_used": str(percent) if percent is not None else None,
        "total_limit": serialize.money(total),
        "overdue": {
            "amount": serialize.money(overdue),
            "oldest_days": (as_of - oldest_due).days if oldest_due is not None else None,
        },
        "group": group_body,
    }


def credit_summary(
    rt: Runtime, actor: Principal, legal_entity: str, account: str, as_of: date | None
) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        stored = require_customer(uow, legal_entity, account)
        return _summary(uow, stored, as_of or rt.clock.today())


def _aged(
    uow: UnitOfWork, stored: StoredCustomer, as_of: date, book: RateBook
) -> tuple[dict[str, Money], Money]:
    """Buckets in the member's legal-entity accounting currency, and the total."""
    entity = require_entity(uow, stored.customer.legal_entity)
    cur = entity.accounting_currency
    items = [
        (due, book.convert(amount, cur)) for due, amount in uow.documents.open_invoices(stored.id)
    ]
    aged = age(items, as_of, cur)
    return aged.buckets, aged.total


def customer_aged_balances(
    rt: Runtime, actor: Principal, legal_entity: str, account: str, as_of: date | None
) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    day = as_of or rt.clock.today()
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        stored = require_customer(uow, legal_entity, account)
        buckets, total = _aged(uow, stored, day, RateBook(uow.rates, day))
        return {
            "legal_entity": legal_entity,
            "account": account,
            "as_of": day.isoformat(),
            "buckets": {name: serialize.money(buckets[name]) for name in BUCKETS},
            "total": serialize.money(total),
        }


def group_aged_balances(
    rt: Runtime, actor: Principal, group_id: str, as_of: date | None
) -> dict[str, Any]:
    """Aged balances of every member: in the member's accounting currency and converted to
    the group currency, with totals in the group currency."""
    authorize(actor, Permission.READ)
    day = as_of or rt.clock.today()
    with rt.uow(read_only=True) as uow:
        group = require_visible_group(uow, actor, group_id)
        members = uow.customers.members(group_id)
        hidden = [
            m.customer.legal_entity for m in members if not actor.sees(m.customer.legal_entity)
        ]
        if hidden:
            raise PermissionDeniedError(
                f"the group has members in legal entities this caller cannot see: "
                f"{', '.join(sorted(set(hidden)))}"
            )
        book = RateBook(uow.rates, day)
        gcur = group.limit.currency
        totals = {name: Money.zero(gcur) for name in BUCKETS}
        rows = []
        for member in members:
            buckets, total = _aged(uow, member, day, book)
            converted = {name: book.convert(buckets[name], gcur) for name in BUCKETS}
            for name in BUCKETS:
                totals[name] = totals[name] + converted[name]
            rows.append(
                {
                    "legal_entity": member.customer.legal_entity,
                    "account": member.customer.account,
                    "name": member.customer.name,
                    "buckets": {name: serialize.money(buckets[name]) for name in BUCKETS},
                    "total": serialize.money(total),
                    "buckets_in_group_currency": {
                        name: serialize.money(converted[name]) for name in BUCKETS
                    },
                    "total_in_group_currency": serialize.money(book.convert(total, gcur)),
                }
            )
        grand = Money.zero(gcur)
        for name in BUCKETS:
            grand = grand + totals[name]
        return {
            "group": group_id,
            "as_of": day.isoformat(),
            "currency": gcur.code,
            "members": rows,
            "totals": {name: serialize.money(totals[name]) for name in BUCKETS},
            "total": serialize.money(grand),
        }


def derived_figures(rt: Runtime, customer: Customer) -> dict[str, Any]:
    """Read-only figures shown with a customer: what the checks use today and where it
    comes from."""
    credit = customer.credit
    lifecycle = limit_sources.derived_for(rt, customer, rt.clock.today())
    return {
        "total_limit": lifecycle.pop("total_limit"),
        "temporary_limit": lifecycle.pop("temporary_limit"),
        "insurance": lifecycle.pop("insurance"),
        "limit_date": serialize.plain(credit.limit_date),
        "risk_group": credit.risk_group,
        "credit_group": customer.credit_group,
        "as_of": rt.clock.today().isoformat(),
        **lifecycle,
    }


def customer_checks(
    rt: Runtime, actor: Principal, legal_entity: str, account: str, limit: int
) -> list[dict[str, Any]]:
    """The customer's latest stored credit decisions, newest first."""
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        require_customer(uow, legal_entity, account)
        return uow.decisions.for_customer(legal_entity, account, limit)
