"""The rule engine (reference §3.10, §3.11) through ``evaluate_rules``: B06–B28, B67 and the
SPEC decisions A-08, A-17, A-22, A-23. All amounts are EUR, the accounting currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from creditdesk.domain.limits import LimitScope
from creditdesk.domain.rules import (
    ReasonCode,
    RuleKind,
    ValueType,
    account_status_holds,
    evaluate_rules,
)
from tests.unit.domain.builders import (
    CUSTOMER,
    a_group,
    account_status_rule,
    check_facts,
    credit_limit_expired_rule,
    credit_limit_used_rule,
    days_overdue_exclusion,
    days_overdue_rule,
    eur,
    overdue_amount_rule,
    overdue_total_exclusion,
    reason_codes,
    sales_order_rule,
    terms_of_payment_rule,
)

INVOICE_DUE = date(2025, 1, 1)


# --- credit limit expired (B06–B08, A-23) ----------------------------------------------------


def test_blank_expiry_does_not_hold_when_blank_means_never_expires() -> None:
    facts = check_facts(limit_expires_on=None, ignore_blank_expiry=True)

    outcome = evaluate_rules([credit_limit_expired_rule(0)], facts)

    assert reason_codes(outcome) == []


def test_blank_expiry_holds_when_blank_counts_as_expired() -> None:
    facts = check_facts(limit_expires_on=None, ignore_blank_expiry=False)

    outcome = evaluate_rules([credit_limit_expired_rule(0)], facts)

    assert reason_codes(outcome) == [ReasonCode.CREDIT_LIMIT_EXPIRED]
    assert outcome.reasons[0].scope is LimitScope.INDIVIDUAL


@pytest.mark.parametrize(
    ("confirmed_on", "held"),
    [(date(2025, 4, 10), False), (date(2025, 4, 11), True), (date(2025, 3, 31), False)],
)
def test_expired_limit_holds_only_after_the_extra_days(confirmed_on: date, held: bool) -> None:
    facts = check_facts(as_of=confirmed_on, limit_expires_on=date(2025, 3, 31))

    outcome = evaluate_rules([credit_limit_expired_rule(10)], facts)

    assert bool(outcome.reasons) is held


def test_a_limit_expiring_today_is_not_expired() -> None:
    facts = check_facts(as_of=date(2025, 3, 31), limit_expires_on=date(2025, 3, 31))

    outcome = evaluate_rules([credit_limit_expired_rule(0)], facts)

    assert reason_codes(outcome) == []


def test_an_expired_group_limit_holds_with_scope_group() -> None:
    group = a_group("15,000", expires_on=date(2025, 1, 31))
    facts = check_facts(
        as_of=date(2025, 3, 31), limit="10,000", limit_expires_on=date(2025, 12, 31), group=group
    )

    outcome = evaluate_rules([credit_limit_expired_rule(0)], facts)

    assert reason_codes(outcome) == [ReasonCode.CREDIT_LIMIT_EXPIRED]
    assert outcome.reasons[0].scope is LimitScope.GROUP


def test_an_expired_limit_alone_never_holds_without_a_rule() -> None:
    facts = check_facts(limit_expires_on=date(2024, 1, 1), ignore_blank_expiry=False)

    outcome = evaluate_rules([], facts)

    assert reason_codes(outcome) == []


# --- days overdue (B09–B15) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("confirmed_on", "days_past_due", "held"),
    [(date(2025, 3, 3), 61, False), (date(2025, 3, 4), 62, True)],
)
def test_days_overdue_holds_only_beyond_the_allowed_days(
    confirmed_on: date, days_past_due: int, held: bool
) -> None:
    facts = check_facts(as_of=confirmed_on, oldest_due=INVOICE_DUE)

    outcome = evaluate_rules([days_overdue_rule(61)], facts)

    assert facts.oldest_overdue_days == days_past_due
    assert bool(outcome.reasons) is held


def test_days_overdue_reason_tells_how_late_the_oldest_invoice_is() -> None:
    facts = check_facts(as_of=date(2025, 3, 4), oldest_due=INVOICE_DUE)

    outcome = evaluate_rules([days_overdue_rule(61)], facts)

    (reason,) = outcome.reasons
    assert reason.code is ReasonCode.DAYS_OVERDUE
    assert reason.details == {"days": 62, "allowed_days": 61}
    assert reason.rule_id == "days_overdue-all-blocking"


def test_a_customer_without_overdue_invoices_is_not_held_for_days_overdue() -> None:
    facts = check_facts(oldest_overdue_days=None)

    outcome = evaluate_rules([days_overdue_rule(0)], facts)

    assert reason_codes(outcome) == []


def test_a_table_exclusion_spares_its_customer_from_the_all_rule() -> None:
    rules = [days_overdue_rule(61), days_overdue_exclusion(100, table="C")]
    facts = check_facts(account="C", oldest_overdue_days=80)

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == []


def test_a_table_exclusion_does_not_spare_another_customer() -> None:
    rules = [days_overdue_rule(61), days_overdue_exclusion(100, table="C")]
    facts = check_facts(account="D", oldest_overdue_days=80)

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]


def test_a_table_exclusion_stops_applying_beyond_its_days() -> None:
    rules = [days_overdue_rule(61), days_overdue_exclusion(100, table="C")]
    facts = check_facts(account="C", oldest_overdue_days=120)

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]


def test_an_amount_exclusion_without_release_does_not_stop_a_days_rule() -> None:
    rules = [days_overdue_rule(61), overdue_total_exclusion("1,000", table="US-001")]
    facts = check_facts(account="US-001", oldest_overdue_days=80, overdue="900")

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]


def test_an_amount_exclusion_with_release_releases_the_order_with_no_reason() -> None:
    exclusion = overdue_total_exclusion("1,000", table="US-001", release_sales_order=True)
    facts = check_facts(account="US-001", oldest_overdue_days=80, overdue="900")

    outcome = evaluate_rules([days_overdue_rule(61), exclusion], facts)

    assert outcome.reasons == ()
    assert outcome.released_by == exclusion


def test_an_amount_exclusion_with_release_does_not_apply_at_or_over_its_amount() -> None:
    exclusion = overdue_total_exclusion("1,000", table="US-001", release_sales_order=True)
    facts = check_facts(account="US-001", oldest_overdue_days=80, overdue="1,200")

    outcome = evaluate_rules([days_overdue_rule(61), exclusion], facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]
    assert outcome.released_by is None


def test_a_group_exclusion_does_not_cancel_a_group_blocking_rule() -> None:
    rules = [days_overdue_rule(30, group="CM-A"), days_overdue_exclusion(100, group="CM-A")]
    facts = check_facts(credit_management_group="CM-A", oldest_overdue_days=45)

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]


def test_a_group_exclusion_spares_members_from_the_all_rule() -> None:
    rules = [days_overdue_rule(61), days_overdue_exclusion(100, group="CM-A")]
    facts = check_facts(credit_management_group="CM-A", oldest_overdue_days=80)

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == []


def test_a_group_exclusion_does_not_spare_customers_of_another_group() -> None:
    rules = [days_overdue_rule(61), days_overdue_exclusion(100, group="CM-A")]
    facts = check_facts(credit_management_group="CM-B", oldest_overdue_days=80)

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]


def test_an_exclusion_valid_for_all_does_not_cancel_a_blocking_rule_valid_for_all() -> None:
    rules = [days_overdue_rule(61), days_overdue_exclusion(100)]
    facts = check_facts(oldest_overdue_days=80)

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]


def test_a_table_blocking_rule_holds_before_a_broader_exclusion_is_looked_at() -> None:
    rules = [days_overdue_rule(10, table="C"), days_overdue_exclusion(100, group="CM-A")]
    facts = check_facts(account="C", credit_management_group="CM-A", oldest_overdue_days=20)

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]


def test_an_exclusion_only_affects_its_own_rule_type() -> None:
    rules = [days_overdue_exclusion(100, table="C"), sales_order_rule("50,000")]
    facts = check_facts(account="C", oldest_overdue_days=10, order="60,000")

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.SALES_ORDER_AMOUNT]


def test_a_releasing_exclusion_skips_every_other_rule_type() -> None:
    release = sales_order_rule(
        "100,000", kind=RuleKind.EXCLUSION, table=CUSTOMER, release_sales_order=True
    )
    rules = [release, days_overdue_rule(0), account_status_rule("REVIEW")]
    facts = check_facts(order="60,000", oldest_overdue_days=90, account_status="REVIEW")

    outcome = evaluate_rules(rules, facts)

    assert outcome.reasons == ()
    assert outcome.released_by == release
    assert "released" in outcome.trace[-1]


def test_a_releasing_exclusion_for_another_customer_does_not_release() -> None:
    release = sales_order_rule(
        "100,000", kind=RuleKind.EXCLUSION, table="OTHER", release_sales_order=True
    )
    facts = check_facts(order="60,000", oldest_overdue_days=90)

    outcome = evaluate_rules([release, days_overdue_rule(0)], facts)

    assert reason_codes(outcome) == [ReasonCode.DAYS_OVERDUE]
    assert outcome.released_by is None


# --- account status, terms of payment (B16, B17) --------------------------------------------


@pytest.mark.parametrize(("status", "held"), [("REVIEW", True), ("NORMAL", False), (None, False)])
def test_account_status_rule_holds_customers_with_that_status(
    status: str | None, held: bool
) -> None:
    facts = check_facts(account_status=status)

    outcome = evaluate_rules([account_status_rule("REVIEW")], facts)

    assert reason_codes(outcome) == ([ReasonCode.ACCOUNT_STATUS] if held else [])


@pytest.mark.parametrize(("terms", "held"), [("Net90", True), ("Net30", False), (None, False)])
def test_terms_of_payment_rule_holds_orders_with_those_terms(terms: str | None, held: bool) -> None:
    facts = check_facts(order_payment_terms=terms)

    outcome = evaluate_rules([terms_of_payment_rule("Net90")], facts)

    assert reason_codes(outcome) == ([ReasonCode.TERMS_OF_PAYMENT] if held else [])


# --- sales order (B18) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "held"), [("50,000.01", True), ("49,999.99", False), ("50,000.00", False)]
)
def test_sales_order_rule_holds_orders_over_the_amount(order: str, held: bool) -> None:
    facts = check_facts(order=order)

    outcome = evaluate_rules([sales_order_rule("50,000")], facts)

    assert reason_codes(outcome) == ([ReasonCode.SALES_ORDER_AMOUNT] if held else [])


def test_sales_order_reason_carries_the_order_and_the_allowed_amount() -> None:
    facts = check_facts(order="50,000.01")

    outcome = evaluate_rules([sales_order_rule("50,000")], facts)

    (reason,) = outcome.reasons
    assert reason.details == {"order": eur("50,000.01"), "allowed": eur("50,000")}


# --- credit limit used (B19–B21, A-22, A-23) -------------------------------------------------


@pytest.mark.parametrize(("order", "held"), [("4,500", True), ("3,500", False)])
def test_credit_limit_used_holds_an_order_that_takes_usage_over_the_threshold(
    order: str, held: bool
) -> None:
    facts = check_facts(limit="10,000", balance="5,000", order=order)

    outcome = evaluate_rules([credit_limit_used_rule("90")], facts)

    assert reason_codes(outcome) == ([ReasonCode.CREDIT_LIMIT_EXCEEDED] if held else [])
    assert outcome.threshold_percent == Decimal(90)


def test_credit_limit_used_reason_carries_the_figures_of_the_limit() -> None:
    facts = check_facts(limit="10,000", balance="5,000", order="4,500")

    outcome = evaluate_rules([credit_limit_used_rule("90")], facts)

    (reason,) = outcome.reasons
    assert reason.scope is LimitScope.INDIVIDUAL
    assert reason.details == {
        "limit": eur("10,000"),
        "exposure": eur("5,000"),
        "order": eur("4,500"),
        "threshold_percent": Decimal(90),
    }


def test_credit_limit_used_does_not_run_when_the_check_is_switched_off() -> None:
    facts = check_facts(
        limit="10,000", balance="5,000", order="4,500", check_credit_limit_used=False
    )

    outcome = evaluate_rules([credit_limit_used_rule("90")], facts)

    assert reason_codes(outcome) == []


@pytest.mark.parametrize(("order", "held"), [("5,000", False), ("5,000.01", True)])
def test_landing_exactly_on_one_hundred_percent_passes(order: str, held: bool) -> None:
    facts = check_facts(limit="10,000", balance="5,000", order=order)

    outcome = evaluate_rules([credit_limit_used_rule("100")], facts)

    assert bool(outcome.reasons) is held


def test_no_rules_never_hold_even_far_above_the_limit() -> None:
    facts = check_facts(limit="10,000", balance="5,000", order="1,000,000")

    outcome = evaluate_rules([], facts)

    assert outcome.reasons == ()
    assert outcome.threshold_percent == Decimal(100)


def test_exclusion_rules_alone_never_hold() -> None:
    rules = [
        days_overdue_exclusion(100, table=CUSTOMER),
        credit_limit_used_rule("50", kind=RuleKind.EXCLUSION),
    ]
    facts = check_facts(limit="10,000", balance="9,000", order="5,000", oldest_overdue_days=200)

    outcome = evaluate_rules(rules, facts)

    assert outcome.reasons == ()


def test_a_mandatory_zero_limit_holds_with_its_own_reason() -> None:
    facts = check_facts(limit="0.00", mandatory=True, order="1.00", group=a_group("15,000"))

    outcome = evaluate_rules([credit_limit_used_rule("100")], facts)

    assert reason_codes(outcome) == [ReasonCode.MANDATORY_CREDIT_LIMIT]


def test_a_failing_group_limit_gives_one_group_reason_only() -> None:
    facts = check_facts(limit="1,000", order="2,000", group=a_group("15,000", exposure="14,000"))

    outcome = evaluate_rules([credit_limit_used_rule("100")], facts)

    assert reason_codes(outcome) == [ReasonCode.CREDIT_LIMIT_EXCEEDED]
    assert outcome.reasons[0].scope is LimitScope.GROUP


def test_the_group_limit_is_held_to_the_same_usage_threshold() -> None:
    facts = check_facts(limit="50,000", order="1,500", group=a_group("10,000", exposure="8,000"))

    outcome = evaluate_rules([credit_limit_used_rule("90")], facts)

    assert [r.scope for r in outcome.reasons] == [LimitScope.GROUP]


def test_the_narrowest_credit_limit_used_rule_sets_the_threshold() -> None:
    rules = [credit_limit_used_rule("100"), credit_limit_used_rule("80", table=CUSTOMER)]
    facts = check_facts(limit="10,000", balance="8,000", order="500")

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.CREDIT_LIMIT_EXCEEDED]
    assert outcome.threshold_percent == Decimal(80)
    assert outcome.reasons[0].rule_id == "credit_limit_used-table-blocking"


def test_a_table_credit_limit_used_exclusion_spares_the_customer_from_the_all_rule() -> None:
    rules = [
        credit_limit_used_rule("100"),
        credit_limit_used_rule("120", kind=RuleKind.EXCLUSION, table=CUSTOMER),
    ]
    facts = check_facts(limit="10,000", balance="10,000", order="1,000")

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == []


def test_an_unlimited_customer_is_not_held_by_credit_limit_used() -> None:
    facts = check_facts(limit="0.00", unlimited=True, order="1,000,000", group=a_group("15,000"))

    outcome = evaluate_rules([credit_limit_used_rule("100")], facts)

    assert reason_codes(outcome) == []


def test_an_unlimited_customer_is_still_held_by_the_other_rules() -> None:
    rules = [
        credit_limit_used_rule("100"),
        days_overdue_rule(30),
        credit_limit_expired_rule(0),
        account_status_rule("REVIEW"),
    ]
    facts = check_facts(
        unlimited=True,
        order="1,000,000",
        oldest_overdue_days=45,
        limit_expires_on=date(2025, 1, 31),
        account_status="REVIEW",
    )

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [
        ReasonCode.DAYS_OVERDUE,
        ReasonCode.ACCOUNT_STATUS,
        ReasonCode.CREDIT_LIMIT_EXPIRED,
    ]


# --- overdue amount (B23, B24) ---------------------------------------------------------------


@pytest.mark.parametrize(("order", "held"), [("2,000", False), ("4,000", True)])
def test_overdue_amount_holds_only_when_usage_is_over_the_threshold_too(
    order: str, held: bool
) -> None:
    facts = check_facts(limit="10,000", balance="4,000", overdue="4,000", order=order)

    outcome = evaluate_rules([overdue_amount_rule("3,000", threshold="70")], facts)

    assert reason_codes(outcome) == ([ReasonCode.OVERDUE_AMOUNT] if held else [])


def test_overdue_amount_below_the_rule_does_not_hold_at_high_usage() -> None:
    facts = check_facts(limit="10,000", balance="4,000", overdue="2,500", order="5,000")

    outcome = evaluate_rules([overdue_amount_rule("3,000", threshold="70")], facts)

    assert reason_codes(outcome) == []


def test_overdue_amount_equal_to_the_rule_does_not_hold() -> None:
    facts = check_facts(limit="10,000", balance="4,000", overdue="3,000", order="5,000")

    outcome = evaluate_rules([overdue_amount_rule("3,000", threshold="70")], facts)

    assert reason_codes(outcome) == []


@pytest.mark.parametrize(("order", "held"), [("3,000", False), ("3,000.01", True)])
def test_overdue_amount_with_an_amount_threshold_compares_exposure(order: str, held: bool) -> None:
    rule = overdue_amount_rule("3,000", threshold="7,000", value_type=ValueType.AMOUNT)
    facts = check_facts(limit="10,000", balance="4,000", overdue="4,000", order=order)

    outcome = evaluate_rules([rule], facts)

    assert bool(outcome.reasons) is held


def test_overdue_amount_for_an_unlimited_customer_skips_only_the_usage_part() -> None:
    facts = check_facts(unlimited=True, balance="4,000", overdue="4,000", order="100")

    outcome = evaluate_rules([overdue_amount_rule("3,000", threshold="70")], facts)

    assert reason_codes(outcome) == [ReasonCode.OVERDUE_AMOUNT]


# --- ranking of payment terms and settlement discounts (B25–B27, A-17) -----------------------

TERMS_RANKS = {"Net30": 10, "Net45": 10, "Net60": 20}
DISCOUNT_RANKS = {"D1": 1, "D2": 2}


@pytest.mark.parametrize(("terms", "held"), [("Net45", False), ("Net60", True), ("Net30", False)])
def test_payment_terms_ranked_higher_than_the_customer_default_hold(terms: str, held: bool) -> None:
    facts = check_facts(
        order_payment_terms=terms,
        customer_payment_terms="Net30",
        payment_terms_ranks=TERMS_RANKS,
        check_payment_terms_increase=True,
    )

    outcome = evaluate_rules([], facts)

    assert reason_codes(outcome) == ([ReasonCode.PAYMENT_TERMS_INCREASED] if held else [])


def test_payment_terms_ranking_does_not_hold_when_switched_off() -> None:
    facts = check_facts(
        order_payment_terms="Net60",
        customer_payment_terms="Net30",
        payment_terms_ranks=TERMS_RANKS,
        check_payment_terms_increase=False,
    )

    outcome = evaluate_rules([], facts)

    assert reason_codes(outcome) == []


@pytest.mark.parametrize(("order_terms", "default_terms"), [("Net120", "Net30"), ("Net60", "COD")])
def test_unranked_payment_terms_never_hold(order_terms: str, default_terms: str) -> None:
    facts = check_facts(
        order_payment_terms=order_terms,
        customer_payment_terms=default_terms,
        payment_terms_ranks=TERMS_RANKS,
        check_payment_terms_increase=True,
    )

    outcome = evaluate_rules([], facts)

    assert reason_codes(outcome) == []


@pytest.mark.parametrize(("discount", "held"), [("D2", True), ("D1", False)])
def test_settlement_discount_ranked_higher_than_the_customer_default_holds(
    discount: str, held: bool
) -> None:
    facts = check_facts(
        order_settlement_discount=discount,
        customer_settlement_discount="D1",
        settlement_discount_ranks=DISCOUNT_RANKS,
        check_settlement_discount_increase=True,
    )

    outcome = evaluate_rules([], facts)

    assert reason_codes(outcome) == ([ReasonCode.SETTLEMENT_DISCOUNT_INCREASED] if held else [])


def test_settlement_discount_ranking_does_not_hold_when_switched_off() -> None:
    facts = check_facts(
        order_settlement_discount="D2",
        customer_settlement_discount="D1",
        settlement_discount_ranks=DISCOUNT_RANKS,
    )

    outcome = evaluate_rules([], facts)

    assert reason_codes(outcome) == []


def test_a_ranking_hold_cannot_be_excluded() -> None:
    release = sales_order_rule(
        "100,000", kind=RuleKind.EXCLUSION, table=CUSTOMER, release_sales_order=True
    )
    facts = check_facts(
        order="1,000",
        order_payment_terms="Net60",
        customer_payment_terms="Net30",
        payment_terms_ranks=TERMS_RANKS,
        check_payment_terms_increase=True,
    )

    outcome = evaluate_rules([release], facts)

    assert reason_codes(outcome) == [ReasonCode.PAYMENT_TERMS_INCREASED]


# --- several reasons, risk groups (B28, B67) -------------------------------------------------


def test_an_order_breaking_two_rules_lists_both_reasons_in_rule_order() -> None:
    rules = [sales_order_rule("50,000"), terms_of_payment_rule("Net90")]
    facts = check_facts(order="60,000", order_payment_terms="Net90")

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [ReasonCode.TERMS_OF_PAYMENT, ReasonCode.SALES_ORDER_AMOUNT]


def test_every_firing_rule_type_and_the_ranking_are_all_listed() -> None:
    rules = [
        credit_limit_used_rule("100"),
        sales_order_rule("50,000"),
        days_overdue_rule(30),
    ]
    facts = check_facts(
        limit="10,000",
        order="60,000",
        oldest_overdue_days=45,
        order_payment_terms="Net60",
        customer_payment_terms="Net30",
        payment_terms_ranks=TERMS_RANKS,
        check_payment_terms_increase=True,
    )

    outcome = evaluate_rules(rules, facts)

    assert reason_codes(outcome) == [
        ReasonCode.DAYS_OVERDUE,
        ReasonCode.SALES_ORDER_AMOUNT,
        ReasonCode.CREDIT_LIMIT_EXCEEDED,
        ReasonCode.PAYMENT_TERMS_INCREASED,
    ]


@pytest.mark.parametrize(("risk_group", "held"), [("LOW", False), ("HIGH", True), (None, False)])
def test_a_rule_scoped_to_a_risk_group_applies_only_to_customers_in_it(
    risk_group: str | None, held: bool
) -> None:
    facts = check_facts(risk_group=risk_group, oldest_overdue_days=90)

    outcome = evaluate_rules([days_overdue_rule(30, risk_group="HIGH")], facts)

    assert reason_codes(outcome) == ([ReasonCode.DAYS_OVERDUE] if held else [])


def test_a_table_rule_for_another_customer_does_not_apply() -> None:
    facts = check_facts(account="C-002", oldest_overdue_days=90)

    outcome = evaluate_rules([days_overdue_rule(30, table="C-001")], facts)

    assert reason_codes(outcome) == []


def test_a_group_rule_does_not_apply_to_a_customer_without_a_group() -> None:
    facts = check_facts(credit_management_group=None, oldest_overdue_days=90)

    outcome = evaluate_rules([days_overdue_rule(30, group="CM-A")], facts)

    assert reason_codes(outcome) == []


def test_the_trace_tells_which_rules_fired() -> None:
    rules = [sales_order_rule("50,000"), terms_of_payment_rule("Net90")]
    facts = check_facts(order="60,000", order_payment_terms="Net30")

    outcome = evaluate_rules(rules, facts)

    assert outcome.trace == (
        "blocking rule terms_of_payment Net90 (all): does not fire",
        "blocking rule sales_order_amount 50000 (all): fires",
    )


# --- SPEC decisions of v1.1: exclusions at equality, account status hold settings, every limit --


def test_an_amount_exclusion_applies_when_the_overdue_total_equals_its_amount() -> None:
    exclusion = overdue_total_exclusion("1,000", table="US-001", release_sales_order=True)
    facts = check_facts(account="US-001", oldest_overdue_days=80, overdue="1,000")

    outcome = evaluate_rules([days_overdue_rule(61), exclusion], facts)

    assert outcome.reasons == ()
    assert outcome.released_by == exclusion


def test_a_days_exclusion_applies_at_its_days_like_the_amount_exclusion_at_its_amount() -> None:
    rules = [days_overdue_rule(30), days_overdue_exclusion(60, table="US-001")]

    at_days = evaluate_rules(rules, check_facts(account="US-001", oldest_overdue_days=60))
    beyond = evaluate_rules(rules, check_facts(account="US-001", oldest_overdue_days=61))

    assert at_days.reasons == ()
    assert reason_codes(beyond) == [ReasonCode.DAYS_OVERDUE]


@pytest.mark.parametrize(
    ("setting", "checkpoint", "holds"),
    [
        ("all", "confirmation", True),
        ("all", "invoice", True),
        ("invoicing", "invoice", True),
        ("invoicing", "confirmation", False),
        ("invoicing", "packing_slip", False),
        ("none", "invoice", False),
        (None, "invoice", False),
    ],
)
def test_an_account_status_holds_by_its_setting_at_the_checkpoints_it_names(
    setting: str | None, checkpoint: str, holds: bool
) -> None:
    assert account_status_holds(setting, checkpoint) is holds


def test_an_account_status_that_holds_gives_its_reason_without_any_rule() -> None:
    facts = check_facts(account_status="STOP", account_status_holds=True)

    outcome = evaluate_rules([], facts)

    assert reason_codes(outcome) == [ReasonCode.ACCOUNT_STATUS]
    assert outcome.reasons[0].details == {"account_status": "STOP"}


def test_an_account_status_hold_is_not_lifted_by_a_releasing_exclusion() -> None:
    exclusion = overdue_total_exclusion("1,000", table="US-001", release_sales_order=True)
    facts = check_facts(account="US-001", account_status="STOP", account_status_holds=True)

    outcome = evaluate_rules([exclusion], facts)

    assert reason_codes(outcome) == [ReasonCode.ACCOUNT_STATUS]


def test_an_account_status_rule_and_setting_together_give_one_reason() -> None:
    facts = check_facts(account_status="STOP", account_status_holds=True)

    outcome = evaluate_rules([account_status_rule("STOP")], facts)

    assert reason_codes(outcome) == [ReasonCode.ACCOUNT_STATUS]


def test_testing_every_limit_reports_the_individual_limit_too_when_the_group_fails() -> None:
    facts = check_facts(
        limit="100",
        balance="50",
        order="120",
        group=a_group("150", exposure="50"),
        every_limit=True,
    )

    outcome = evaluate_rules([credit_limit_used_rule("100")], facts)

    assert [(r.code, r.scope) for r in outcome.reasons] == [
        (ReasonCode.CREDIT_LIMIT_EXCEEDED, LimitScope.GROUP),
        (ReasonCode.CREDIT_LIMIT_EXCEEDED, LimitScope.INDIVIDUAL),
    ]
