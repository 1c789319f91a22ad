"""The list of customer credit groups with their figures (the web app's group list)."""

from __future__ import annotations

from datetime import date
from typing import Any

from creditdesk.domain.errors import ExchangeRateMissingError
from creditdesk.domain.groups import CreditGroup
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.queries import group_figures
from creditdesk.service_layer.rates import RateBook
from creditdesk.service_layer.runtime import Runtime


def list_groups(rt: Runtime, actor: Principal, as_of: date | None = None) -> list[dict[str, Any]]:
    """Every customer credit group the caller sees (a scoped caller: the groups with at least
    one member in their legal entities), by id, with description, limit, expiry, member count,
    group exposure and available amount on ``as_of`` (today by default)."""
    authorize(actor, Permission.READ)
    day = as_of or rt.clock.today()
    scope = tuple(sorted(actor.legal_entities)) if actor.legal_entities is not None else None
    result: list[dict[str, Any]] = []
    with rt.uow(read_only=True) as uow:
        book = RateBook(uow.rates, day)
        for row in uow.group_list.groups(scope):
            group = CreditGroup(
                id=row.id,
                description=row.description,
                limit=row.limit,
                limit_expires_on=row.limit_expires_on,
            )
            try:
                body = group_figures(uow, group, day, book)
            except ExchangeRateMissingError:  # listed without the figures it cannot convert
                body = serialize.group(group) | {"exposure": None, "available": None}
            body["description"] = row.description
            body["members"] = row.members
            result.append(body)
    return result
