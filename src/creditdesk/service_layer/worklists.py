"""Worklists of the credit team: limits and temporary limits expiring soon (SPEC A-24: limits
are date-effective, and a periodic task lists those expiring within N days for review)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from creditdesk.domain.errors import DomainError, ExchangeRateMissingError
from creditdesk.domain.exposure import exposure_in
from creditdesk.domain.money import Money
from creditdesk.domain.setup import CreditLimitType
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.ports import ExpiringLimitRow, UnitOfWork
from creditdesk.service_layer.rates import RateBook
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity

MAX_WITHIN_DAYS = 3660


def _exposure(uow: UnitOfWork, row: ExpiringLimitRow, book: RateBook) -> Money | None:
    """The exposure the limit stands against, in the limit's currency (None when a rate is
    missing: the row is listed all the same)."""
    try:
        if row.kind == "credit_group" or (row.customer_id is None and row.credit_group):
            assert row.credit_group is not None
            buckets = [bucket for _, bucket in uow.groups.exposure(row.credit_group)]
            return exposure_in(buckets, row.limit.currency, book.convert).total
        assert row.customer_id is not None
        assert row.legal_entity is not None
        entity = uow.legal_entities.get(row.legal_entity)
        kind = entity.parameters.credit_limit_type if entity else CreditLimitType.BALANCE_AND_ALL
        buckets = uow.customers.exposure(row.customer_id, kind)
        return exposure_in(buckets, row.limit.currency, book.convert).total
    except ExchangeRateMissingError:
        return None


def expiring_limits(
    rt: Runtime,
    actor: Principal,
    *,
    within_days: int = 30,
    legal_entity: str | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Limits of customers and credit groups, and temporary limits, that end within
    ``within_days`` (limits already expired too, with negative ``days_left``), soonest first,
    with the exposure they stand against. A scoped caller sees its legal entities' customers
    and the groups with a member there."""
    authorize(actor, Permission.READ, legal_entity)
    if not 0 <= within_days <= MAX_WITHIN_DAYS:
        raise DomainError(
            f"within_days must be between 0 and {MAX_WITHIN_DAYS}", within_days=within_days
        )
    day = today or rt.clock.today()
    scope: tuple[str, ...] | None
    if legal_entity is not None:
        scope = (legal_entity,)
    elif actor.legal_entities is not None:
        scope = tuple(sorted(actor.legal_entities))
    else:
        scope = None
    with rt.uow(read_only=True) as uow:
        if legal_entity is not None:
            require_entity(uow, legal_entity)
        book = RateBook(uow.rates, day)
        rows = uow.worklist.expiring_limits(scope, day, day + timedelta(days=within_days))
        items = []
        for row in rows:
            exposure = _exposure(uow, row, book)
            items.append(
                {
                    "kind": row.kind,
                    "legal_entity": row.legal_entity,
                    "account": row.account,
                    "credit_group": row.credit_group,
                    "limit": serialize.money(row.limit),
                    "expires_on": row.expires_on.isoformat(),
                    "days_left": (row.expires_on - day).days,
                    "exposure": serialize.money(exposure) if exposure is not None else None,
                }
            )
    items.sort(key=worklist_key)
    return items


def worklist_key(item: dict[str, Any]) -> str:
    """Soonest first; a stable key for pages."""
    return "|".join(
        (
            str(item["expires_on"]),
            str(item["kind"]),
            str(item["legal_entity"] or ""),
            str(item["account"] or ""),
            str(item["credit_group"] or ""),
        )
    )
