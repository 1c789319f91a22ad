"""Balance statistics (reference §2.3, §8.1, §8.4; A-26, A-27).

- DSO = outstanding balance ÷ credit sales of the last x months × days in those months; the
  days start at Customer since when that is later (B68, B69). Sales are the invoices dated
  after the window's start and up to the as-of date. No sales → no DSO.
- Average payment days = mean of (payment date − invoice date) over the payment applications
  of the window; a payment on the invoice date counts 0 days (B70).
- Average balance (A-26, our formula) = mean of the balance at the as-of date and at the same
  day of each of the previous x−1 months.
- Deleting outdated statistics must keep the "balance statistics" months of history (B71).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from creditdesk.domain.errors import DomainError
from creditdesk.domain.money import ROUNDING, Money

CENT = Decimal("0.01")


class InvalidStatisticsParametersError(DomainError):
    code = "invalid_statistics_parameters"


class StatisticsCutoffTooLateError(DomainError):
    code = "statistics_cutoff_too_late"


def months_back(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True, slots=True)
class StatisticsParameters:
    """Months of history per statistic (reference §2.3)."""

    dso1_months: int = 12
    dso2_months: int = 6
    average_balance_months: int = 12
    payment_days_months: int = 12
    balance_statistics_months: int = 12

    def __post_init__(self) -> None:
        for name in (
            "dso1_months",
            "dso2_months",
            "average_balance_months",
            "payment_days_months",
            "balance_statistics_months",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 120:
                raise InvalidStatisticsParametersError(
                    f"{name} must be a whole number of months from 1 to 120", field=name
                )

    @property
    def sales_window_months(self) -> int:
        return max(self.dso1_months, self.dso2_months)


def dso_days(as_of: date, months: int, customer_since: date | None) -> int:
    start = months_back(as_of, months)
    if customer_since is not None and customer_since > start:
        start = customer_since
    return max(0, (as_of - start).days)


def dso(
    balance: Decimal, sales: Decimal, as_of: date, months: int, customer_since: date | None
) -> Decimal | None:
    """Days sales outstanding, two decimals (half-even); None without sales."""
    if sales == 0:
        return None
    days = dso_days(as_of, months, customer_since)
    return (balance / sales * days).quantize(CENT, rounding=ROUNDING)


def average_payment_days(total_days: int, settlements: int) -> Decimal | None:
    if settlements == 0:
        return None
    return (Decimal(total_days) / settlements).quantize(CENT, rounding=ROUNDING)


def balance_points(as_of: date, months: int) -> tuple[date, ...]:
    """The dates whose balances the average balance averages (newest first)."""
    return tuple(months_back(as_of, k) for k in range(months))


def average_balance(weighted_sum: Money, points: int) -> Money:
    """``weighted_sum`` is Σ amount × (number of points on or after the document's date)."""
    if points <= 0:
        return Money.zero(weighted_sum.currency)
    mean = (weighted_sum.amount / Decimal(points)).quantize(
        weighted_sum.currency.quantum, rounding=ROUNDING
    )
    return Money(mean, weighted_sum.currency)


@dataclass(frozen=True, slots=True)
class BalanceStatistics:
    as_of: date
    dso1: Decimal | None
    dso2: Decimal | None
    average_payment_days: Decimal | None
    average_balance: Money | None


def latest_allowed_cutoff(today: date, params: StatisticsParameters) -> date:
    return months_back(today, params.balance_statistics_months)


def check_cutoff(cutoff: date, today: date, params: StatisticsParameters) -> None:
    """B71: deleting up to ``cutoff`` must leave the balance-statistics months of history."""
    latest = latest_allowed_cutoff(today, params)
    if cutoff > latest:
        raise StatisticsCutoffTooLateError(
            f"the date can't be after {latest} because {params.balance_statistics_months} "
            "months of balance statistics are kept",
            latest=latest.isoformat(),
        )
