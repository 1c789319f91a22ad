"""A customer's credit profile in one legal entity.

The limit is money in its own currency; ``None`` means no individual limit is recorded, while
0.00 is a real figure whose meaning depends on the Mandatory flag and group membership (the
effective-limit table of reference §5). Unlimited skips the credit-limit tests, Exclude skips
credit management for the customer altogether.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from creditdesk.domain.money import Currency, Money


@dataclass(frozen=True, slots=True)
class CreditProfile:
    limit: Money | None = None
    limit_expires_on: date | None = None
    limit_date: date | None = None
    mandatory_limit: bool = False
    unlimited_limit: bool = False
    exclude: bool = False
    account_status: str | None = None
    status_reason: str | None = None
    credit_management_group: str | None = None
    risk_group: str | None = None
    last_review_on: date | None = None
    next_review_on: date | None = None
    eligible_limit: Money | None = None
    business_started_on: date | None = None
    customer_since: date | None = None
    country: str | None = None
    revenue: Money | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    legal_entity: str
    account: str
    name: str
    currency: Currency
    payment_terms: str | None = None
    settlement_discount: str | None = None
    credit: CreditProfile = field(default_factory=CreditProfile)
    credit_group: str | None = None

    @property
    def key(self) -> str:
        return f"{self.legal_entity}/{self.account}"
