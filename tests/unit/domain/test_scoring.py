"""Risk scoring, risk classification and automatic credit limits (reference §3.6, §3.7, §3.9;
B65, B66; SPEC A-18, A-19)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditdesk.domain.money import Money
from creditdesk.domain.scoring import (
    AutomaticLimit,
    AutomaticLimitLine,
    CustomerFacts,
    InvalidAutomaticLimitError,
    InvalidScoringGroupError,
    Measure,
    Operator,
    OverlappingRiskGroupsError,
    RiskGroup,
    ScoreLine,
    ScoreType,
    ScoringGroup,
    check_risk_groups,
    score_customer,
    years_between,
)
from tests.unit.domain.builders import eur

AS_OF = date(2026, 11, 23)


def years_in_business() -> ScoringGroup:
    return ScoringGroup.create(
        "YIB",
        Measure.YEARS_IN_BUSINESS,
        ScoreType.RANGE,
        [
            ScoreLine(10, Decimal("0"), Decimal("4.99")),
            ScoreLine(20, Decimal("5"), Decimal("9.99")),
            ScoreLine(30, Decimal("10"), Decimal("99")),
        ],
    )


def account_status() -> ScoringGroup:
    return ScoringGroup.create(
        "STATUS",
        Measure.ACCOUNT_STATUS,
        ScoreType.VALUE,
        [ScoreLine(20, value="NORMAL"), ScoreLine(0, value="REVIEW")],
    )


RISK_GROUPS = [RiskGroup("LOW", "", 35, 60), RiskGroup("MEDIUM", "", 15, 34)]


def test_b65_seven_years_in_business_and_status_normal_score_40_in_risk_group_low() -> None:
    facts = CustomerFacts(AS_OF, business_started_on=date(2019, 11, 23), account_status="NORMAL")

    result = score_customer([years_in_business(), account_status()], RISK_GROUPS, facts)

    assert result.score == 40
    assert result.risk_group == "LOW"
    assert [(f.scoring_group, f.value, f.score) for f in result.factors] == [
        ("YIB", "7.00", 20),
        ("STATUS", "NORMAL", 20),
    ]


def test_a18_range_ends_are_inclusive() -> None:
    group = years_in_business()

    assert group.score("4.99") == 10
    assert group.score("5") == 20
    assert group.score("99") == 30


def test_a18_a_value_without_a_matching_line_scores_0() -> None:
    assert years_in_business().score("4.995") == 0
    assert account_status().score("BLOCKED") == 0
    assert account_status().score(None) == 0


def test_a_total_in_no_risk_group_leaves_the_customer_without_one() -> None:
    facts = CustomerFacts(AS_OF, account_status="REVIEW")

    assert score_customer([account_status()], RISK_GROUPS, facts).risk_group is None


def test_a18_overlapping_risk_group_ranges_are_rejected() -> None:
    with pytest.raises(OverlappingRiskGroupsError):
        check_risk_groups(RiskGroup("HIGH", "", 0, 15), RISK_GROUPS)


def test_a_risk_group_may_be_saved_again_with_its_own_range() -> None:
    check_risk_groups(RiskGroup("LOW", "", 35, 70), RISK_GROUPS)


def test_overlapping_lines_within_one_scoring_group_are_rejected() -> None:
    with pytest.raises(InvalidScoringGroupError):
        ScoringGroup.create(
            "YIB",
            Measure.YEARS_IN_BUSINESS,
            ScoreType.RANGE,
            [ScoreLine(10, Decimal(0), Decimal(5)), ScoreLine(20, Decimal(5), Decimal(9))],
        )


def test_years_are_counted_with_two_decimals_rounded_down() -> None:
    assert years_between(date(2019, 11, 23), AS_OF) == Decimal("7.00")
    assert years_between(date(2021, 11, 24), AS_OF) == Decimal("4.99")
    assert years_between(None, AS_OF) is None


def automatic_low() -> AutomaticLimit:
    return AutomaticLimit.create(
        "LOW",
        usd("1,000,000"),
        [
            AutomaticLimitLine("YIB", Operator.GE, "5", usd("100,000")),
            AutomaticLimitLine("YIB", Operator.GE, "10", usd("200,000")),
        ],
    )


def usd(amount: str) -> Money:
    return Money.of(amount.replace(",", ""), "USD")


def test_b66_seven_years_and_revenue_800000_propose_100000() -> None:
    proposed = automatic_low().propose({"YIB": "7.00"}, usd("800,000"))

    assert proposed == usd("100,000")


def test_b66_revenue_above_the_cap_proposes_nothing() -> None:
    assert automatic_low().propose({"YIB": "7.00"}, usd("1,200,000")) is None


def test_a19_of_several_matching_lines_the_highest_limit_wins() -> None:
    assert automatic_low().propose({"YIB": "12"}, None) == usd("200,000")


def test_a_customer_without_the_measured_figure_matches_no_line() -> None:
    assert automatic_low().propose({}, usd("1")) is None


def test_automatic_limit_lines_are_in_the_setup_currency() -> None:
    with pytest.raises(InvalidAutomaticLimitError, match="USD"):
        AutomaticLimit.create(
            "LOW", usd("1"), [AutomaticLimitLine("YIB", Operator.GE, "5", eur("1"))]
        )
