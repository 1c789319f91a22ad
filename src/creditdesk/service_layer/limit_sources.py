"""Where a total credit limit comes from on a date (reference §1.4): the active temporary limit
or the ordinary one, plus the insurance and guarantee contribution converted to the limit's
currency. Used by every credit check, the credit summary and the customer's derived figures."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from creditdesk.domain.customers import Customer
from creditdesk.domain.errors import ExchangeRateMissingError
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.insurance import insurance_contribution
from creditdesk.domain.limits import total_limit
from creditdesk.domain.money import Money
from creditdesk.service_layer import serialize
from creditdesk.service_layer.ports import StoredCustomer, UnitOfWork
from creditdesk.service_layer.rates import RateBook
from creditdesk.service_layer.runtime import Runtime


@dataclass(frozen=True, slots=True)
class LimitFigures:
    ordinary: Money | None
    temporary: Money | None
    insurance: Money | None
    total: Money | None


def limit_figures(
    uow: UnitOfWork, stored: StoredCustomer, on: date, book: RateBook
) -> LimitFigures:
    """The customer's limits on ``on``; conversions go through ``book`` (recorded in a
    decision when the caller is a credit check)."""
    credit = stored.customer.credit
    temporary = uow.limit_sources.active_temporary(on, customer_id=stored.id)
    base = temporary if temporary is not None else credit.limit
    insurance: Money | None = None
    if base is not None:
        policies = uow.limit_sources.active_policies(stored.id, on)
        if policies:
            insurance = insurance_contribution(policies, on, base.currency, book.convert)
    return LimitFigures(
        credit.limit, temporary, insurance, total_limit(credit.limit, temporary, insurance)
    )


def total_limit_on(
    uow: UnitOfWork, stored: StoredCustomer, on: date, book: RateBook
) -> Money | None:
    """What the checks use on ``on``: (temporary or ordinary limit) + insurance."""
    return limit_figures(uow, stored, on, book).total


def group_on(uow: UnitOfWork, group: CreditGroup | None, on: date) -> CreditGroup | None:
    """The group with its active temporary limit in place of the ordinary one (SPEC A-07)."""
    if group is None:
        return None
    temporary = uow.limit_sources.active_temporary(on, group_id=group.id)
    return group if temporary is None else replace(group, limit=temporary)


def derived_for(rt: Runtime, customer: Customer, on: date) -> dict[str, Any]:
    """The lifecycle part of a customer's derived figures: limits on ``on``, the latest risk
    score with its factors and the latest balance statistics."""
    with rt.uow(read_only=True) as uow:
        stored = uow.customers.get(customer.legal_entity, customer.account)
        if stored is None:
            return {
                "total_limit": serialize.money(customer.credit.limit),
                "temporary_limit": None,
                "insurance": None,
                "risk_score": None,
                "score_factors": [],
                "statistics": None,
            }
        try:
            figures = limit_figures(uow, stored, on, RateBook(uow.rates, on))
        except ExchangeRateMissingError:  # shown without the insurance part it cannot convert
            temporary = uow.limit_sources.active_temporary(on, customer_id=stored.id)
            figures = LimitFigures(customer.credit.limit, temporary, None, None)
        scored = uow.scoring.risk_score(stored.id)
        stats = uow.statistics.latest(stored.id)
    return {
        "total_limit": serialize.money(figures.total),
        "temporary_limit": serialize.money(figures.temporary),
        "insurance": serialize.money(figures.insurance),
        "risk_score": scored[1].score if scored is not None else None,
        "risk_scored_on": scored[0].isoformat() if scored is not None else None,
        "score_factors": [
            {
                "scoring_group": f.scoring_group,
                "measure": f.measure.value,
                "value": f.value,
                "score": f.score,
            }
            for f in (scored[1].factors if scored is not None else ())
        ],
        "statistics": None
        if stats is None
        else {
            "as_of": stats.as_of.isoformat(),
            "dso1": serialize.plain(stats.dso1),
            "dso2": serialize.plain(stats.dso2),
            "average_payment_days": serialize.plain(stats.average_payment_days),
            "average_balance": serialize.money(stats.average_balance),
        },
    }
