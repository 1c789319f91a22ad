"""Customer credit groups: one shared limit over members from any legal entity.

The group limit has its own currency and a required expiry ("credit limit to date"); a member
joining takes the group's expiry as its own credit-limit expiration date (reference §1.6, §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from creditdesk.domain.errors import ExpirationDateRequiredError
from creditdesk.domain.money import Money


@dataclass(frozen=True, slots=True)
class CreditGroup:
    id: str
    description: str
    limit: Money
    limit_expires_on: date

    @classmethod
    def create(
        cls, id: str, description: str, limit: Money, limit_expires_on: date | None
    ) -> CreditGroup:
        if limit_expires_on is None:
            raise ExpirationDateRequiredError(
                "a customer credit group needs an expiration date (credit limit to date)",
                group=id,
            )
        return cls(id, description, limit, limit_expires_on)
