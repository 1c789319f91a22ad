"""The effective-limit decision table (reference §5 rows 2–8, B33–B38), strict thresholds
(A-08), usage and the total credit limit (§1.4)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from creditdesk.domain.limits import (
    HUNDRED,
    LimitLine,
    LimitScope,
    failing_lines,
    limit_lines,
    total_limit,
    usage_percent,
)
from creditdesk.domain.money import Money
from tests.unit.domain.builders import EUR, a_group, eur, line


def lines_for(
    order: str,
    *,
    limit: str | None,
    group_limit: str | None = None,
    group_exposure: str = "0",
    exposure: str = "0",
    mandatory: bool = False,
    unlimited: bool = False,
) -> tuple[LimitLine, ...]:
    """The lines the decision table gives for one order; the group figures include the
    customer's own exposure (single-member group unless ``group_exposure`` says otherwise)."""
    group = None
    if group_limit is not None:
        group = replace(a_group(group_limit, exposure=group_exposure), order=eur(order))
    return limit_lines(
        unlimited=unlimited,
        mandatory=mandatory,
        individual_limit=eur(limit) if limit is not None else None,
        individual_exposure_before=eur(exposure),
        individual_order=eur(order),
        group=group,
    )


def held(lines: tuple[LimitLine, ...]) -> list[LimitScope]:
    return [failed.scope for failed in failing_lines(lines, HUNDRED)]


# --- which limits are tested -----------------------------------------------------------------


@pytest.mark.parametrize(("order", "scopes"), [("12,000", [LimitScope.INDIVIDUAL]), ("9,000", [])])
def test_individual_limit_below_the_group_limit_governs(
    order: str, scopes: list[LimitScope]
) -> None:
    lines = lines_for(order, limit="10,000", group_limit="15,000")

    assert [ln.scope for ln in lines] == [LimitScope.GROUP, LimitScope.INDIVIDUAL]
    assert held(lines) == scopes


@pytest.mark.parametrize(("order", "scopes"), [("16,000", [LimitScope.GROUP]), ("14,000", [])])
def test_group_limit_below_the_individual_limit_governs(
    order: str, scopes: list[LimitScope]
) -> None:
    lines = lines_for(order, limit="20,000", group_limit="15,000")

    assert held(lines) == scopes


def test_mandatory_zero_limit_holds_any_order_even_in_a_group() -> None:
    lines = lines_for("1.00", limit="0.00", group_limit="15,000", mandatory=True)

    assert len(lines) == 1
    assert lines[0].mandatory_zero
    assert lines[0].scope is LimitScope.INDIVIDUAL
    assert held(lines) == [LimitScope.INDIVIDUAL]


def test_mandatory_without_a_recorded_limit_is_a_zero_limit() -> None:
    lines = lines_for("0.01", limit=None, mandatory=True)

    assert [ln.mandatory_zero for ln in lines] == [True]
    assert lines[0].limit == Money.zero(EUR)
    assert held(lines) == [LimitScope.INDIVIDUAL]


@pytest.mark.parametrize(("order", "scopes"), [("12,000", [LimitScope.INDIVIDUAL]), ("9,000", [])])
def test_mandatory_with_a_limit_above_zero_is_tested_like_any_limit(
    order: str, scopes: list[LimitScope]
) -> None:
    lines = lines_for(order, limit="10,000", group_limit="15,000", mandatory=True)

    assert [ln.scope for ln in lines] == [LimitScope.GROUP, LimitScope.INDIVIDUAL]
    assert not any(ln.mandatory_zero for ln in lines)
    assert held(lines) == scopes


def test_unlimited_customer_is_not_tested_against_any_limit() -> None:
    lines = lines_for("1,000,000", limit="0.00", group_limit="15,000", unlimited=True)

    assert lines == ()
    assert held(lines) == []


def test_unlimited_wins_over_a_mandatory_zero_limit() -> None:
    lines = lines_for("1.00", limit="0.00", mandatory=True, unlimited=True)

    assert lines == ()


@pytest.mark.parametrize(("order", "scopes"), [("15,000.01", [LimitScope.GROUP]), ("15,000", [])])
def test_zero_limit_not_mandatory_in_a_group_leaves_the_group_limit_alone(
    order: str, scopes: list[LimitScope]
) -> None:
    lines = lines_for(order, limit="0.00", group_limit="15,000")

    assert [ln.scope for ln in lines] == [LimitScope.GROUP]
    assert held(lines) == scopes


@pytest.mark.parametrize(("order", "scopes"), [("4,000.01", [LimitScope.GROUP]), ("4,000", [])])
def test_group_exposure_of_every_member_counts_against_the_group_limit(
    order: str, scopes: list[LimitScope]
) -> None:
    lines = lines_for(order, limit="50,000", group_limit="10,000", group_exposure="6,000")

    assert held(lines) == scopes


@pytest.mark.parametrize("limit", ["0.00", None])
def test_no_individual_limit_outside_a_group_tests_nothing(limit: str | None) -> None:
    lines = lines_for("1,000,000", limit=limit)

    assert lines == ()


@pytest.mark.parametrize(
    ("order", "scopes"), [("10,000.01", [LimitScope.INDIVIDUAL]), ("10,000", [])]
)
def test_outside_a_group_only_the_individual_limit_is_tested(
    order: str, scopes: list[LimitScope]
) -> None:
    lines = lines_for(order, limit="10,000")

    assert [ln.scope for ln in lines] == [LimitScope.INDIVIDUAL]
    assert held(lines) == scopes


# --- order of the tests and strictness -------------------------------------------------------


def test_the_group_limit_is_tested_before_the_individual_limit() -> None:
    lines = lines_for("100", limit="10,000", group_limit="15,000")

    assert [ln.scope for ln in lines] == [LimitScope.GROUP, LimitScope.INDIVIDUAL]


def test_the_individual_limit_is_not_tested_once_the_group_limit_fails() -> None:
    lines = lines_for("2,000", limit="1,000", group_limit="15,000", group_exposure="14,000")

    failed = failing_lines(lines, HUNDRED)

    assert all(ln.exceeds() for ln in lines)
    assert [ln.scope for ln in failed] == [LimitScope.GROUP]


def test_the_individual_limit_is_tested_when_the_group_limit_holds() -> None:
    lines = lines_for("2,000", limit="1,000", group_limit="15,000")

    failed = failing_lines(lines, HUNDRED)

    assert [ln.scope for ln in failed] == [LimitScope.INDIVIDUAL]


def test_an_order_landing_exactly_on_the_limit_passes() -> None:
    at_limit = line("10,000", exposure="6,000", order="4,000")

    assert not at_limit.exceeds()
    assert failing_lines((at_limit,), HUNDRED) == ()


def test_one_cent_over_the_limit_fails() -> None:
    over = line("10,000", exposure="6,000", order="4,000.01")

    assert over.exceeds()


@pytest.mark.parametrize(
    ("exposure", "fails"), [("10,000", False), ("10,001", True), ("9,999.99", False)]
)
def test_usage_of_exactly_one_hundred_percent_passes_and_more_fails(
    exposure: str, fails: bool
) -> None:
    used = line("10,000", exposure=exposure)

    assert used.exceeds(Decimal(100)) is fails


@pytest.mark.parametrize(("order", "fails"), [("4,000", False), ("4,000.01", True)])
def test_a_threshold_below_one_hundred_percent_is_strict_too(order: str, fails: bool) -> None:
    used = line("10,000", exposure="5,000", order=order)

    assert used.exceeds(Decimal(90)) is fails


def test_the_group_check_uses_the_same_threshold() -> None:
    lines = lines_for("1,500", limit="50,000", group_limit="10,000", group_exposure="8,000")

    failed = failing_lines(lines, Decimal(90))

    assert [ln.scope for ln in failed] == [LimitScope.GROUP]


# --- figures of a line -----------------------------------------------------------------------


def test_a_line_knows_its_exposure_after_the_order_and_what_was_available() -> None:
    tested = line("10,000", exposure="5,000", order="4,500")

    assert tested.exposure_after == eur("9,500")
    assert tested.available == eur("5,000")
    assert tested.percent_used_after == Decimal("95.00")
    assert tested.threshold_amount(Decimal(90)) == Decimal("9000")


def test_percent_used_of_a_zero_limit_is_none() -> None:
    assert line("0", order="1").percent_used_after is None


def test_usage_percent_is_the_highest_share_over_the_limits_tested() -> None:
    lines = lines_for("1,000", limit="2,000", group_limit="10,000", group_exposure="3,000")

    usage = usage_percent(lines)

    assert usage == Decimal(50)  # individual 1,000 / 2,000; the group is at 40 %


def test_usage_percent_without_limits_is_none() -> None:
    assert usage_percent(()) is None


def test_usage_of_a_mandatory_zero_limit_with_exposure_is_infinite() -> None:
    lines = lines_for("1.00", limit="0.00", mandatory=True)

    assert usage_percent(lines) == Decimal("Infinity")


def test_a_zero_limit_with_nothing_owed_adds_no_usage() -> None:
    lines = lines_for("0", limit="0.00", mandatory=True)

    assert usage_percent(lines) is None


# --- total credit limit ----------------------------------------------------------------------


def test_insurance_raises_the_credit_limit() -> None:
    total = total_limit(eur("100,000"), None, eur("25,000"))

    assert total == eur("125,000")


def test_insurance_included_in_exposure_follows_the_documented_example() -> None:
    contribution = eur("50,000").multiply(Decimal("0.5")) - eur("50,000")

    total = total_limit(eur("100,000"), None, contribution)

    assert total == eur("75,000")


def test_an_active_temporary_limit_replaces_the_ordinary_limit() -> None:
    total = total_limit(eur("10,000"), eur("20,000"), None)

    assert total == eur("20,000")


def test_insurance_is_added_to_the_temporary_limit() -> None:
    total = total_limit(eur("10,000"), eur("20,000"), eur("5,000"))

    assert total == eur("25,000")


def test_without_a_temporary_limit_the_ordinary_limit_applies() -> None:
    total = total_limit(eur("10,000"), None, Money.zero(EUR))

    assert total == eur("10,000")


def test_no_limit_and_no_temporary_limit_means_no_total() -> None:
    assert total_limit(None, None, None) is None
