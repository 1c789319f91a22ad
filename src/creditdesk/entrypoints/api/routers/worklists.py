"""Worklists of the credit team: limits and temporary limits expiring soon."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from creditdesk.entrypoints.api.contract import ContractRoute, page_of
from creditdesk.entrypoints.api.dependencies import LimitQuery, PrincipalDep, RuntimeDep
from creditdesk.entrypoints.api.read_models import ExpiringLimitPage
from creditdesk.service_layer import worklists

router = APIRouter(route_class=ContractRoute, tags=["worklists"])


@router.get("/worklists/expiring-limits", response_model=ExpiringLimitPage)
def list_expiring_limits(
    rt: RuntimeDep,
    actor: PrincipalDep,
    within_days: Annotated[int, Query(ge=0, le=worklists.MAX_WITHIN_DAYS)] = 30,
    legal_entity: Annotated[str | None, Query(max_length=20)] = None,
    limit: LimitQuery = 100,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> dict[str, Any]:
    """Customers' and credit groups' limits and temporary limits that end within
    ``within_days`` (or have ended: ``days_left`` is then negative), soonest first, with the
    exposure each stands against (null when an exchange rate is missing)."""
    items = worklists.expiring_limits(rt, actor, within_days=within_days, legal_entity=legal_entity)
    return page_of(items, limit, cursor, worklists.worklist_key)
