"""Exposure: what a customer (or a credit group) owes and has ordered, as running totals.

Kept per currency of the documents, in integer minor units, and updated with every pushed
document, so a check never sums over document history (DESIGN "hot path"):

- balance: open invoices − credit notes − payments (unapplied payments included);
- packing slips: delivered but not yet invoiced;
- open orders: the open (not yet delivered) value of open sales orders, held ones included.

Which parts count is the legal entity's credit limit type (reference §1.11).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from creditdesk.domain.money import Currency, Money
from creditdesk.domain.setup import CreditLimitType


@dataclass(frozen=True, slots=True)
class ExposureBucket:
    """Running totals in one currency, in minor units. For a group, one bucket per member
    legal entity and currency (``credit_limit_type`` is that legal entity's)."""

    currency: Currency
    balance: int = 0
    packing_slips: int = 0
    open_orders: int = 0
    credit_limit_type: CreditLimitType = CreditLimitType.BALANCE_AND_ALL


@dataclass(frozen=True, slots=True)
class ExposureDelta:
    """A change to the running totals of one customer in one currency (minor units)."""

    currency: Currency
    balance: int = 0
    packing_slips: int = 0
    open_orders: int = 0

    @property
    def is_zero(self) -> bool:
        return self.balance == 0 and self.packing_slips == 0 and self.open_orders == 0

    def __neg__(self) -> ExposureDelta:
        return ExposureDelta(self.currency, -self.balance, -self.packing_slips, -self.open_orders)


@dataclass(frozen=True, slots=True)
class Exposure:
    """Exposure expressed in one currency (the limit's), each part converted and summed."""

    balance: Money
    packing_slips: Money
    open_orders: Money
    total: Money


Converter = Callable[[Money, Currency], Money]
"""Converts money into a currency at the rate in force on the check date."""


def counted(bucket: ExposureBucket) -> tuple[int, int, int]:
    """The parts of a bucket that the credit limit type counts (others become 0)."""
    kind = bucket.credit_limit_type
    packing = bucket.packing_slips if kind != CreditLimitType.BALANCE else 0
    orders = bucket.open_orders if kind == CreditLimitType.BALANCE_AND_ALL else 0
    return bucket.balance, packing, orders


def exposure_in(
    buckets: Iterable[ExposureBucket], target: Currency, convert: Converter
) -> Exposure:
    """Sum the counted parts of every bucket, converted into ``target``.

    Each part is converted on its own and rounded to the target's minor unit, so the parts add
    up exactly to the total shown.
    """
    balance = Money.zero(target)
    packing = Money.zero(target)
    orders = Money.zero(target)
    for bucket in buckets:
        b, p, o = counted(bucket)
        cur = bucket.currency
        if b:
            balance = balance + convert(Money.from_minor(b, cur), target)
        if p:
            packing = packing + convert(Money.from_minor(p, cur), target)
        if o:
            orders = orders + convert(Money.from_minor(o, cur), target)
    return Exposure(balance, packing, orders, balance + packing + orders)
