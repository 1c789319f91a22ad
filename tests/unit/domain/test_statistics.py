"""Balance statistics (reference §8.1, §8.4; B68–B71)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditdesk.domain.statistics import (
    InvalidStatisticsParametersError,
    StatisticsCutoffTooLateError,
    StatisticsParameters,
    average_balance,
    average_payment_days,
    balance_points,
    check_cutoff,
    dso,
    dso_days,
    months_back,
)
from tests.unit.domain.builders import eur

AS_OF = date(2023, 10, 11)


def test_b68_dso1_over_12_months_is_121_67() -> None:
    assert dso(Decimal(50000), Decimal(150000), AS_OF, 12, None) == Decimal("121.67")


def test_b68_dso2_over_6_months_counts_183_days_and_is_61_00() -> None:
    assert dso_days(AS_OF, 6, None) == 183
    assert dso(Decimal(50000), Decimal(150000), AS_OF, 6, None) == Decimal("61.00")


def test_b69_customer_since_later_than_the_window_start_counts_163_days_and_54_33() -> None:
    since = date(2023, 5, 1)

    assert dso_days(AS_OF, 6, since) == 163
    assert dso(Decimal(50000), Decimal(150000), AS_OF, 6, since) == Decimal("54.33")


def test_without_credit_sales_there_is_no_dso() -> None:
    assert dso(Decimal(50000), Decimal(0), AS_OF, 12, None) is None


def test_b70_an_invoice_paid_on_its_date_gives_0_average_payment_days() -> None:
    assert average_payment_days(0, 1) == Decimal("0.00")


def test_average_payment_days_is_the_mean_over_the_settlements() -> None:
    assert average_payment_days(30 + 45, 2) == Decimal("37.50")
    assert average_payment_days(0, 0) is None


def test_months_back_keeps_the_day_or_takes_the_shorter_months_last_day() -> None:
    assert months_back(date(2023, 10, 11), 6) == date(2023, 4, 11)
    assert months_back(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_back(date(2024, 1, 15), 13) == date(2022, 12, 15)


def test_the_average_balance_averages_the_balance_at_each_month_point() -> None:
    assert balance_points(date(2025, 3, 31), 3) == (
        date(2025, 3, 31),
        date(2025, 2, 28),
        date(2025, 1, 31),
    )
    # 900 on all three points + 300 on the newest only: (2,700 + 300) / 3
    assert average_balance(eur("3,000"), 3) == eur("1,000")


def test_b71_deleting_until_a_date_that_keeps_less_than_12_months_is_refused() -> None:
    with pytest.raises(StatisticsCutoffTooLateError, match="2024-06-30"):
        check_cutoff(date(2025, 1, 1), date(2025, 6, 30), StatisticsParameters())


def test_b71_deleting_until_exactly_12_months_ago_is_allowed() -> None:
    check_cutoff(date(2024, 6, 30), date(2025, 6, 30), StatisticsParameters())


def test_months_parameters_are_whole_numbers_from_1_to_120() -> None:
    with pytest.raises(InvalidStatisticsParametersError):
        StatisticsParameters(dso1_months=0)
