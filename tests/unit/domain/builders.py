"""Builders that let domain tests read like the rule they check.

Amounts are written as in the reference, with thousands separators: ``eur("50,000.01")``.
``check_facts`` gathers the facts the way the service layer does: the limit lines come from the
effective-limit decision table and the exposure after the order is balance + order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from creditdesk.domain.holds import Hold, HoldReason, HoldStatus
from creditdesk.domain.limits import GroupFigures, LimitLine, LimitScope, limit_lines
from creditdesk.domain.money import Currency, Money, currency
from creditdesk.domain.rules import (
    BlockingRule,
    CheckFacts,
    Reason,
    ReasonCode,
    RuleKind,
    RuleOutcome,
    RuleType,
    ValidFor,
    ValueType,
    make_rule,
)
from creditdesk.domain.setup import Checkpoint

EUR: Currency = currency("EUR")
SEK: Currency = currency("SEK")
JPY: Currency = currency("JPY")
KWD: Currency = currency("KWD")

CUSTOMER = "C-001"
TODAY = date(2025, 3, 31)


def eur(amount: str) -> Money:
    """``eur("10,000")`` is 10,000.00 EUR."""
    return Money.of(amount.replace(",", ""), "EUR")


def dec(value: str) -> Decimal:
    return Decimal(value.replace(",", ""))


# --- rules -----------------------------------------------------------------------------------


def _scope(table: str | None, group: str | None) -> tuple[ValidFor, str | None]:
    if table is not None:
        return ValidFor.TABLE, table
    if group is not None:
        return ValidFor.GROUP, group
    return ValidFor.ALL, None


def _scoped_rule(
    rule: RuleType,
    value: Decimal,
    *,
    kind: RuleKind,
    table: str | None,
    group: str | None,
    risk_group: str | None,
    release_sales_order: bool,
    value_type: ValueType | None = None,
    credit_limit_threshold: Decimal | None = None,
) -> BlockingRule:
    valid_for, account_or_group = _scope(table, group)
    return make_rule(
        id=f"{rule.value}-{valid_for.value}-{kind.value}",
        rule=rule,
        kind=kind,
        valid_for=valid_for,
        account_or_group=account_or_group,
        risk_group=risk_group,
        value_type=value_type,
        value=value,
        credit_limit_threshold=credit_limit_threshold,
        release_sales_order=release_sales_order,
    )


def days_overdue_rule(
    days: int,
    *,
    table: str | None = None,
    group: str | None = None,
    risk_group: str | None = None,
) -> BlockingRule:
    """Blocking: holds when an open invoice is more than ``days`` past due."""
    return _scoped_rule(
        RuleType.DAYS_OVERDUE,
        Decimal(days),
        kind=RuleKind.BLOCKING,
        table=table,
        group=group,
        risk_group=risk_group,
        release_sales_order=False,
    )


def days_overdue_exclusion(
    days: int,
    *,
    table: str | None = None,
    group: str | None = None,
    release_sales_order: bool = False,
) -> BlockingRule:
    """Exclusion (value type Days): applies when no open invoice is more than ``days`` past due."""
    return _scoped_rule(
        RuleType.DAYS_OVERDUE,
        Decimal(days),
        kind=RuleKind.EXCLUSION,
        table=table,
        group=group,
        risk_group=None,
        release_sales_order=release_sales_order,
    )


def overdue_total_exclusion(
    amount: str,
    *,
    table: str | None = None,
    group: str | None = None,
    release_sales_order: bool = False,
) -> BlockingRule:
    """Days-overdue exclusion with value type Amount: applies when the total overdue is below."""
    return _scoped_rule(
        RuleType.DAYS_OVERDUE,
        dec(amount),
        kind=RuleKind.EXCLUSION,
        table=table,
        group=group,
        risk_group=None,
        release_sales_order=release_sales_order,
        value_type=ValueType.AMOUNT,
    )


def credit_limit_expired_rule(
    days: int = 0,
    *,
    kind: RuleKind = RuleKind.BLOCKING,
    table: str | None = None,
    group: str | None = None,
) -> BlockingRule:
    return _scoped_rule(
        RuleType.CREDIT_LIMIT_EXPIRED,
        Decimal(days),
        kind=kind,
        table=table,
        group=group,
        risk_group=None,
        release_sales_order=False,
    )


def overdue_amount_rule(
    amount: str,
    *,
    threshold: str,
    value_type: ValueType = ValueType.PERCENT,
    table: str | None = None,
    group: str | None = None,
) -> BlockingRule:
    """Holds when the overdue amount is over ``amount`` AND usage is over ``threshold``."""
    return _scoped_rule(
        RuleType.OVERDUE_AMOUNT,
        dec(amount),
        kind=RuleKind.BLOCKING,
        table=table,
        group=group,
        risk_group=None,
        release_sales_order=False,
        value_type=value_type,
        credit_limit_threshold=dec(threshold),
    )


def sales_order_rule(
    amount: str,
    *,
    kind: RuleKind = RuleKind.BLOCKING,
    table: str | None = None,
    group: str | None = None,
    release_sales_order: bool = False,
) -> BlockingRule:
    return _scoped_rule(
        RuleType.SALES_ORDER_AMOUNT,
        dec(amount),
        kind=kind,
        table=table,
        group=group,
        risk_group=None,
        release_sales_order=release_sales_order,
    )


def credit_limit_used_rule(
    percent: str,
    *,
    kind: RuleKind = RuleKind.BLOCKING,
    table: str | None = None,
    group: str | None = None,
) -> BlockingRule:
    return _scoped_rule(
        RuleType.CREDIT_LIMIT_USED,
        dec(percent),
        kind=kind,
        table=table,
        group=group,
        risk_group=None,
        release_sales_order=False,
    )


def account_status_rule(
    status: str, *, kind: RuleKind = RuleKind.BLOCKING, release_sales_order: bool = False
) -> BlockingRule:
    return make_rule(
        id=f"account_status-{status}-{kind.value}",
        rule=RuleType.ACCOUNT_STATUS,
        kind=kind,
        account_status=status,
        release_sales_order=release_sales_order,
    )


def terms_of_payment_rule(terms: str, *, kind: RuleKind = RuleKind.BLOCKING) -> BlockingRule:
    return make_rule(
        id=f"terms_of_payment-{terms}-{kind.value}",
        rule=RuleType.TERMS_OF_PAYMENT,
        kind=kind,
        terms_of_payment=terms,
    )


# --- facts -----------------------------------------------------------------------------------


def a_group(
    limit: str, *, exposure: str = "0", expires_on: date = date(2026, 12, 31)
) -> GroupFigures:
    """A credit group as one check sees it: the whole group's exposure before the order
    (``check_facts`` adds the order)."""
    return GroupFigures("G1", eur(limit), expires_on, eur(exposure), Money.zero(EUR))


def check_facts(
    *,
    as_of: date = TODAY,
    account: str = CUSTOMER,
    credit_management_group: str | None = None,
    risk_group: str | None = None,
    account_status: str | None = None,
    order: str = "100",
    balance: str = "0",
    limit: str | None = None,
    mandatory: bool = False,
    unlimited: bool = False,
    group: GroupFigures | None = None,
    overdue: str = "0",
    oldest_overdue_days: int | None = None,
    oldest_due: date | None = None,
    limit_expires_on: date | None = None,
    ignore_blank_expiry: bool = True,
    check_credit_limit_used: bool = True,
    order_payment_terms: str | None = None,
    customer_payment_terms: str | None = None,
    payment_terms_ranks: dict[str, int] | None = None,
    check_payment_terms_increase: bool = False,
    order_settlement_discount: str | None = None,
    customer_settlement_discount: str | None = None,
    settlement_discount_ranks: dict[str, int] | None = None,
    check_settlement_discount_increase: bool = False,
    account_status_holds: bool = False,
    every_limit: bool = False,
) -> CheckFacts:
    """The facts of one order check, all in EUR. ``oldest_due`` derives the days overdue."""
    if oldest_due is not None:
        oldest_overdue_days = (as_of - oldest_due).days
    order_amount = eur(order)
    exposure_before = eur(balance)
    group_figures = replace(group, order=order_amount) if group is not None else None
    lines = limit_lines(
        unlimited=unlimited,
        mandatory=mandatory,
        individual_limit=eur(limit) if limit is not None else None,
        individual_exposure_before=exposure_before,
        individual_order=order_amount,
        group=group_figures,
    )
    return CheckFacts(
        as_of=as_of,
        account=account,
        credit_management_group=credit_management_group,
        risk_group=risk_group,
        account_status=account_status,
        order_payment_terms=order_payment_terms,
        order_settlement_discount=order_settlement_discount,
        customer_payment_terms=customer_payment_terms,
        customer_settlement_discount=customer_settlement_discount,
        order_amount=order_amount,
        overdue_amount=eur(overdue),
        oldest_overdue_days=oldest_overdue_days,
        exposure_after=exposure_before + order_amount,
        unlimited=unlimited,
        limit_lines=lines,
        limit_expires_on=limit_expires_on,
        group_id=group_figures.group_id if group_figures is not None else None,
        group_limit_expires_on=(
            group_figures.limit_expires_on if group_figures is not None else None
        ),
        ignore_blank_expiry=ignore_blank_expiry,
        check_credit_limit_used=check_credit_limit_used,
        check_payment_terms_increase=check_payment_terms_increase,
        check_settlement_discount_increase=check_settlement_discount_increase,
        payment_terms_ranks=payment_terms_ranks or {},
        settlement_discount_ranks=settlement_discount_ranks or {},
        account_status_holds=account_status_holds,
        every_limit=every_limit,
    )


def reason_codes(outcome: RuleOutcome) -> list[ReasonCode]:
    return [reason.code for reason in outcome.reasons]


def line(limit: str, *, exposure: str = "0", order: str = "0") -> LimitLine:
    """An individual limit line; the limit, exposure before and order are in EUR."""
    return LimitLine(LimitScope.INDIVIDUAL, eur(limit), eur(exposure), eur(order))


# --- holds -----------------------------------------------------------------------------------

PLACED_AT = datetime(2025, 3, 31, 9, 0, tzinfo=UTC)


def a_hold(status: HoldStatus = HoldStatus.ON_HOLD) -> Hold:
    reason = Reason(ReasonCode.SALES_ORDER_AMOUNT, "the order amount is over 50,000.00 EUR")
    return Hold(
        id="H-1",
        legal_entity="FI01",
        sales_order="SO-1",
        customer=CUSTOMER,
        checkpoint=Checkpoint.CONFIRMATION,
        posting=True,
        check_id="CHK-1",
        reasons=(HoldReason(reason),),
        created_at=PLACED_AT,
        status=status,
    )
