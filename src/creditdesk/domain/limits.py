"""The effective-limit decision table (reference §5, SPEC decisions A-03, A-08, A-22, A-23).

Which limits a credit-limit rule tests, in order:

1. Unlimited: none at all (the group is ignored too).
2. Mandatory with a 0.00 (or missing) limit: only the individual 0.00 limit, even in a group;
   any order that adds exposure exceeds it (reason ``mandatory_credit_limit``).
3. In a credit group with the group check on: the group limit against the whole group's
   exposure first; only when it holds is the individual limit tested.
4. The individual limit when it is above 0.00. A 0.00 limit that is not mandatory is "no
   individual limit": outside a group nothing is tested, inside one the group governs.

Every threshold is strict: an order landing exactly on the limit passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from creditdesk.domain.money import ROUNDING, Currency, Money


class LimitScope(StrEnum):
    GROUP = "group"
    INDIVIDUAL = "individual"


HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class LimitLine:
    """One limit tested for an order; every figure in the limit's currency."""

    scope: LimitScope
    limit: Money
    exposure_before: Money
    order: Money
    mandatory_zero: bool = False

    @property
    def exposure_after(self) -> Money:
        return self.exposure_before + self.order

    @property
    def available(self) -> Money:
        return self.limit - self.exposure_before

    def threshold_amount(self, threshold_percent: Decimal) -> Decimal:
        return self.limit.amount * threshold_percent / HUNDRED

    def exceeds(self, threshold_percent: Decimal = HUNDRED) -> bool:
        """Strictly over ``threshold_percent`` of the limit once the order is added."""
        return self.exposure_after.amount * HUNDRED > self.limit.amount * threshold_percent

    @property
    def percent_used_after(self) -> Decimal | None:
        if self.limit.amount == 0:
            return None
        value = self.exposure_after.amount * HUNDRED / self.limit.amount
        return value.quantize(Decimal("0.01"), rounding=ROUNDING)


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """A credit group as seen by one check: figures in the group's currency."""

    group_id: str
    limit: Money
    limit_expires_on: date
    exposure_before: Money
    order: Money


def total_limit(
    limit: Money | None, temporary: Money | None, insurance: Money | None
) -> Money | None:
    """Total credit limit (reference §1.4): the active temporary limit or the ordinary one,
    plus the insurance and guarantee contribution (already in the limit's currency)."""
    base = temporary if temporary is not None else limit
    if base is None:
        return None
    if insurance is not None and not insurance.is_zero:
        return base + insurance
    return base


def limit_lines(
    *,
    unlimited: bool,
    mandatory: bool,
    individual_limit: Money | None,
    individual_exposure_before: Money,
    individual_order: Money,
    group: GroupFigures | None,
) -> tuple[LimitLine, ...]:
    """The limits to test, group first (reference §5 rows 2–8)."""
    if unlimited:
        return ()
    if mandatory and (individual_limit is None or individual_limit.is_zero):
        cur: Currency = individual_exposure_before.currency
        return (
            LimitLine(
                LimitScope.INDIVIDUAL,
                Money.zero(cur),
                individual_exposure_before,
                individual_order,
                mandatory_zero=True,
            ),
        )
    lines: list[LimitLine] = []
    if group is not None:
        lines.append(LimitLine(LimitScope.GROUP, group.limit, group.exposure_before, group.order))
    if individual_limit is not None and individual_limit.amount > 0:
        lines.append(
            LimitLine(
                LimitScope.INDIVIDUAL,
                individual_limit,
                individual_exposure_before,
                individual_order,
            )
        )
    return tuple(lines)


def failing_lines(
    lines: tuple[LimitLine, ...], threshold_percent: Decimal, *, every: bool = False
) -> tuple[LimitLine, ...]:
    """Lines over the threshold, testing in order and stopping at the first failure: the
    individual limit is only tested once the group limit holds.

    ``every`` tests every line whatever the ones before gave: evaluate for release must know
    whether the individual limit still fails when the group limit fails too (B50), or a hold
    placed on the individual limit would look cleared while the group limit also fails."""
    if every:
        return tuple(line for line in lines if line.exceeds(threshold_percent))
    for line in lines:
        if line.exceeds(threshold_percent):
            return (line,)
    return ()


def usage_percent(lines: tuple[LimitLine, ...]) -> Decimal | None:
    """Credit usage after the order: the highest share used over the limits tested."""
    best: Decimal | None = None
    for line in lines:
        if line.limit.amount == 0:
            if line.exposure_after.amount > 0:
                return Decimal("Infinity")
            continue
        value = line.exposure_after.amount * HUNDRED / line.limit.amount
        if best is None or value > best:
            best = value
    return best
