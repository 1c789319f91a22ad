"""Insurance policies and guarantees (reference §1.4, §1.5; B01–B04, SPEC A-05)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditdesk.domain.insurance import (
    CoverageTypeNotAllowedError,
    Identifier,
    InsurancePolicy,
    InvalidPercentError,
    insurance_contribution,
)
from creditdesk.domain.limits import total_limit
from creditdesk.domain.money import Currency, Money
from tests.unit.domain.builders import EUR, eur


def policy(
    value: str = "50,000",
    percent: str = "50",
    included: bool = False,
    identifier: Identifier = Identifier.INSURANCE,
    coverage: str | None = None,
    effective: date | None = date(2025, 1, 1),
    expires: date | None = date(2025, 12, 31),
) -> InsurancePolicy:
    return InsurancePolicy.create(
        "ins_1",
        identifier,
        "BROKER",
        "Insurer Oy",
        coverage,
        "P-1",
        effective,
        expires,
        eur(value),
        Decimal(percent),
        included,
    )


def same(money: Money, to: Currency) -> Money:
    return money


def test_b01_a_50000_policy_at_50_percent_raises_a_100000_limit_to_125000() -> None:
    contribution = insurance_contribution([policy()], date(2025, 6, 1), EUR, same)

    assert total_limit(eur("100,000"), None, contribution) == eur("125,000")


def test_b02_included_in_exposure_gives_the_documented_75000() -> None:
    contribution = insurance_contribution([policy(included=True)], date(2025, 6, 1), EUR, same)

    assert contribution == eur("-25,000")
    assert total_limit(eur("100,000"), None, contribution) == eur("75,000")


@pytest.mark.parametrize("percent", ["101", "-1"])
def test_b03_an_update_percent_outside_0_to_100_is_rejected(percent: str) -> None:
    with pytest.raises(InvalidPercentError):
        policy(percent=percent)


@pytest.mark.parametrize("percent", ["0", "100"])
def test_the_percent_bounds_0_and_100_are_accepted(percent: str) -> None:
    assert policy(percent=percent).update_credit_limit_percent == Decimal(percent)


def test_b04_a_coverage_type_on_a_guarantee_is_rejected() -> None:
    with pytest.raises(CoverageTypeNotAllowedError):
        policy(identifier=Identifier.GUARANTEE, coverage="EXPORT")


def test_a_coverage_type_on_an_insurance_is_accepted() -> None:
    assert policy(coverage="EXPORT").coverage_type == "EXPORT"


def test_a_policy_counts_only_between_its_effective_and_expiration_dates() -> None:
    policies = [policy()]

    assert insurance_contribution(policies, date(2024, 12, 31), EUR, same) is None
    assert insurance_contribution(policies, date(2025, 12, 31), EUR, same) == eur("25,000")
    assert insurance_contribution(policies, date(2026, 1, 1), EUR, same) is None
