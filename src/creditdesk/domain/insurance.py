"""Insurance policies and guarantees that raise a customer's total credit limit (reference §1.4,
§1.5; SPEC A-05).

A policy active on a date (effective <= date <= expires) adds ``value * percent / 100`` to the
limit; "included in exposure" follows the documented example: ``value * percent / 100 - value``
(limit 100,000, value 50,000, 50 % → 125,000, or 75,000 when included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from creditdesk.domain.errors import DomainError, InvalidDateError, NegativeAmountError
from creditdesk.domain.money import ROUNDING, Currency, Money

HUNDRED = Decimal(100)


class InvalidPercentError(DomainError):
    code = "invalid_percent"


class CoverageTypeNotAllowedError(DomainError):
    code = "coverage_type_not_allowed"


class Identifier(StrEnum):
    INSURANCE = "insurance"
    GUARANTEE = "guarantee"


@dataclass(frozen=True, slots=True)
class InsurancePolicy:
    id: str
    identifier: Identifier
    type: str | None
    insurer: str | None
    coverage_type: str | None
    policy_number: str | None
    effective: date | None
    expires: date | None
    value: Money
    update_credit_limit_percent: Decimal
    included_in_exposure: bool = False

    @classmethod
    def create(
        cls,
        id: str,
        identifier: Identifier,
        type: str | None,
        insurer: str | None,
        coverage_type: str | None,
        policy_number: str | None,
        effective: date | None,
        expires: date | None,
        value: Money,
        update_credit_limit_percent: Decimal,
        included_in_exposure: bool,
    ) -> InsurancePolicy:
        """A valid policy (B03: percent 0–100; B04: no coverage type on a guarantee)."""
        if identifier is Identifier.GUARANTEE and coverage_type is not None:
            raise CoverageTypeNotAllowedError(
                "a policy coverage type applies to insurance only, not to a guarantee"
            )
        pct = update_credit_limit_percent
        if not pct.is_finite() or pct < 0 or pct > HUNDRED:
            raise InvalidPercentError(
                f"update credit limit percent must be between 0 and 100, not {pct}",
                percent=str(pct),
            )
        if value.is_negative:
            raise NegativeAmountError("a policy value cannot be negative")
        if effective is not None and expires is not None and expires < effective:
            raise InvalidDateError(
                f"the policy expires ({expires}) before it takes effect ({effective})"
            )
        return cls(
            id,
            identifier,
            type,
            insurer,
            coverage_type,
            policy_number,
            effective,
            expires,
            value,
            pct,
            included_in_exposure,
        )

    def active_on(self, day: date) -> bool:
        if self.effective is not None and day < self.effective:
            return False
        return self.expires is None or day <= self.expires

    @property
    def contribution(self) -> Money:
        """What the policy adds to the limit, in the policy's currency (may be negative)."""
        part = self.value.multiply(self.update_credit_limit_percent / HUNDRED, ROUNDING)
        return part - self.value if self.included_in_exposure else part


def insurance_contribution(
    policies: Iterable[InsurancePolicy],
    on: date,
    target: Currency,
    convert: Callable[[Money, Currency], Money],
) -> Money | None:
    """Sum of the contributions of the policies active on ``on`` in ``target``; None without
    any active policy."""
    total: Money | None = None
    for policy in policies:
        if not policy.active_on(on):
            continue
        part = convert(policy.contribution, target)
        total = part if total is None else total + part
    return total
