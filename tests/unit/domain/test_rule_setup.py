"""Blocking and exclusion rules: a rule's fields must fit its type (reference §3.10)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from creditdesk.domain.errors import InvalidRuleError
from creditdesk.domain.rules import (
    RuleKind,
    RuleType,
    ValidFor,
    ValueType,
    default_rules,
    make_rule,
)


def build(**fields: Any) -> None:
    make_rule(id="R1", **fields)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(
            {"rule": RuleType.DAYS_OVERDUE, "value": Decimal(30), "account_or_group": "C-001"},
            id="an account on a rule valid for all",
        ),
        pytest.param(
            {"rule": RuleType.DAYS_OVERDUE, "value": Decimal(30), "valid_for": ValidFor.TABLE},
            id="valid for table without an account",
        ),
        pytest.param(
            {"rule": RuleType.SALES_ORDER_AMOUNT, "value": Decimal(1), "valid_for": ValidFor.GROUP},
            id="valid for group without a group",
        ),
        pytest.param(
            {
                "rule": RuleType.ACCOUNT_STATUS,
                "account_status": "REVIEW",
                "valid_for": ValidFor.TABLE,
                "account_or_group": "C-001",
            },
            id="a scope on an account status rule",
        ),
        pytest.param(
            {"rule": RuleType.TERMS_OF_PAYMENT, "terms_of_payment": "Net90", "risk_group": "HIGH"},
            id="a risk group on a terms of payment rule",
        ),
        pytest.param(
            {"rule": RuleType.SALES_ORDER_AMOUNT, "value": Decimal(1), "release_sales_order": True},
            id="release sales order on a blocking rule",
        ),
        pytest.param(
            {
                "rule": RuleType.DAYS_OVERDUE,
                "value": Decimal(30),
                "value_type": ValueType.PERCENT,
            },
            id="percent on days overdue",
        ),
        pytest.param(
            {
                "rule": RuleType.SALES_ORDER_AMOUNT,
                "value": Decimal(1),
                "value_type": ValueType.PERCENT,
            },
            id="percent on sales order",
        ),
        pytest.param(
            {
                "rule": RuleType.CREDIT_LIMIT_EXPIRED,
                "value": Decimal(1),
                "value_type": ValueType.AMOUNT,
            },
            id="amount on credit limit expired",
        ),
        pytest.param(
            {
                "rule": RuleType.DAYS_OVERDUE,
                "value": Decimal(1000),
                "value_type": ValueType.AMOUNT,
            },
            id="amount on a days overdue blocking rule",
        ),
        pytest.param(
            {
                "rule": RuleType.ACCOUNT_STATUS,
                "account_status": "REVIEW",
                "value_type": ValueType.DAYS,
            },
            id="a value type on an account status rule",
        ),
        pytest.param({"rule": RuleType.ACCOUNT_STATUS}, id="account status rule without status"),
        pytest.param(
            {"rule": RuleType.ACCOUNT_STATUS, "account_status": "REVIEW", "value": Decimal(1)},
            id="a value on an account status rule",
        ),
        pytest.param(
            {
                "rule": RuleType.ACCOUNT_STATUS,
                "account_status": "REVIEW",
                "terms_of_payment": "Net90",
            },
            id="terms on an account status rule",
        ),
        pytest.param({"rule": RuleType.TERMS_OF_PAYMENT}, id="terms rule without terms"),
        pytest.param(
            {
                "rule": RuleType.TERMS_OF_PAYMENT,
                "terms_of_payment": "Net90",
                "credit_limit_threshold": Decimal(70),
            },
            id="a threshold on a terms rule",
        ),
        pytest.param(
            {
                "rule": RuleType.SALES_ORDER_AMOUNT,
                "value": Decimal(1),
                "terms_of_payment": "Net90",
            },
            id="terms on a sales order rule",
        ),
        pytest.param({"rule": RuleType.SALES_ORDER_AMOUNT}, id="sales order rule without value"),
        pytest.param(
            {"rule": RuleType.SALES_ORDER_AMOUNT, "value": Decimal(-1)}, id="a negative value"
        ),
        pytest.param(
            {"rule": RuleType.DAYS_OVERDUE, "value": Decimal("30.5")}, id="fractional days"
        ),
        pytest.param(
            {"rule": RuleType.OVERDUE_AMOUNT, "value": Decimal(3000)},
            id="overdue amount without a threshold",
        ),
        pytest.param(
            {
                "rule": RuleType.OVERDUE_AMOUNT,
                "value": Decimal(3000),
                "credit_limit_threshold": Decimal(-1),
            },
            id="a negative threshold",
        ),
        pytest.param(
            {
                "rule": RuleType.CREDIT_LIMIT_USED,
                "value": Decimal(90),
                "credit_limit_threshold": Decimal(90),
            },
            id="a threshold on credit limit used",
        ),
    ],
)
def test_fields_that_do_not_fit_the_rule_type_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidRuleError) as raised:
        build(**fields)

    assert raised.value.code == "invalid_rule"


def test_a_scoped_rule_keeps_its_scope_and_value() -> None:
    rule = make_rule(
        id="R1",
        rule=RuleType.DAYS_OVERDUE,
        valid_for=ValidFor.TABLE,
        account_or_group="C-001",
        risk_group="HIGH",
        value=Decimal(61),
    )

    assert rule.level is ValidFor.TABLE
    assert rule.account_or_group == "C-001"
    assert rule.risk_group == "HIGH"
    assert rule.value == Decimal(61)
    assert rule.is_blocking


@pytest.mark.parametrize(
    ("rule_type", "value_type"),
    [
        (RuleType.DAYS_OVERDUE, ValueType.DAYS),
        (RuleType.CREDIT_LIMIT_EXPIRED, ValueType.DAYS),
        (RuleType.OVERDUE_AMOUNT, ValueType.PERCENT),
        (RuleType.SALES_ORDER_AMOUNT, ValueType.AMOUNT),
        (RuleType.CREDIT_LIMIT_USED, ValueType.PERCENT),
    ],
)
def test_a_rule_without_a_value_type_takes_its_type_default(
    rule_type: RuleType, value_type: ValueType
) -> None:
    threshold = Decimal(70) if rule_type is RuleType.OVERDUE_AMOUNT else None

    rule = make_rule(id="R1", rule=rule_type, value=Decimal(10), credit_limit_threshold=threshold)

    assert rule.value_type is value_type


def test_a_days_overdue_exclusion_may_use_an_amount_with_release_sales_order() -> None:
    rule = make_rule(
        id="R1",
        rule=RuleType.DAYS_OVERDUE,
        kind=RuleKind.EXCLUSION,
        valid_for=ValidFor.TABLE,
        account_or_group="US-001",
        value_type=ValueType.AMOUNT,
        value=Decimal("1000.50"),
        release_sales_order=True,
    )

    assert rule.value_type is ValueType.AMOUNT
    assert rule.release_sales_order
    assert not rule.is_blocking


def test_overdue_amount_may_compare_usage_as_an_amount() -> None:
    rule = make_rule(
        id="R1",
        rule=RuleType.OVERDUE_AMOUNT,
        value_type=ValueType.AMOUNT,
        value=Decimal(3000),
        credit_limit_threshold=Decimal(7000),
    )

    assert rule.credit_limit_threshold == Decimal(7000)


@pytest.mark.parametrize(
    "fields",
    [
        {"rule": RuleType.ACCOUNT_STATUS, "account_status": "REVIEW"},
        {"rule": RuleType.TERMS_OF_PAYMENT, "terms_of_payment": "Net90"},
    ],
)
def test_account_status_and_terms_rules_run_at_level_all(fields: dict[str, Any]) -> None:
    rule = make_rule(id="R1", **fields)

    assert rule.level is ValidFor.ALL
    assert rule.value_type is None


def test_the_default_rule_set_holds_over_one_hundred_percent_for_all() -> None:
    (rule,) = default_rules("R-default")

    assert rule.rule is RuleType.CREDIT_LIMIT_USED
    assert rule.level is ValidFor.ALL
    assert rule.value == Decimal(100)
    assert rule.is_blocking


def test_a_rule_describes_itself_for_the_trace() -> None:
    rule = make_rule(
        id="R1",
        rule=RuleType.DAYS_OVERDUE,
        kind=RuleKind.EXCLUSION,
        valid_for=ValidFor.TABLE,
        account_or_group="C-001",
        value=Decimal(100),
    )

    assert rule.describe() == "exclusion rule days_overdue 100 days (table C-001)"
