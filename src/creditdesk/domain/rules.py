"""Blocking and exclusion rules, and the order in which they run (reference §3.10, §3.11).

A blocking rule can put an order on hold; an exclusion rule stops broader rules of the same
type and value type from blocking, or, with "release sales order", releases the order outright.
Rules run per rule type in the fixed order of ``RULE_ORDER`` and, inside a type, level by level:
Table (one customer), Group (a credit management group), All. An exclusion never cancels a
blocking rule of its own level. Account-status and terms-of-payment rules have no scope and run
at level All (A-30). The payment-terms and settlement-discount rankings come after the rules and
cannot be excluded (A-17).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from creditdesk.domain.errors import InvalidRuleError
from creditdesk.domain.limits import HUNDRED, LimitLine, LimitScope, failing_lines, usage_percent
from creditdesk.domain.money import Money


class RuleType(StrEnum):
    DAYS_OVERDUE = "days_overdue"
    ACCOUNT_STATUS = "account_status"
    TERMS_OF_PAYMENT = "terms_of_payment"
    CREDIT_LIMIT_EXPIRED = "credit_limit_expired"
    OVERDUE_AMOUNT = "overdue_amount"
    SALES_ORDER_AMOUNT = "sales_order_amount"
    CREDIT_LIMIT_USED = "credit_limit_used"


RULE_ORDER: tuple[RuleType, ...] = tuple(RuleType)


class AccountStatusHold(StrEnum):
    """What an account status holds by itself, without a blocking rule (SPEC §3.5)."""

    NONE = "none"
    INVOICING = "invoicing"
    ALL = "all"


def account_status_holds(setting: str | None, checkpoint: str) -> bool:
    """``all`` holds at every checkpoint that checks, ``invoicing`` only at the invoice
    checkpoint; ``none`` (or no status) leaves it to an account-status blocking rule."""
    if setting == AccountStatusHold.ALL:
        return True
    return setting == AccountStatusHold.INVOICING and checkpoint == "invoice"


class RuleKind(StrEnum):
    BLOCKING = "blocking"
    EXCLUSION = "exclusion"


class ValidFor(StrEnum):
    TABLE = "table"
    GROUP = "group"
    ALL = "all"


LEVELS: tuple[ValidFor, ...] = (ValidFor.TABLE, ValidFor.GROUP, ValidFor.ALL)


class ValueType(StrEnum):
    DAYS = "days"
    AMOUNT = "amount"
    PERCENT = "percent"


class ReasonCode(StrEnum):
    CREDIT_LIMIT_EXCEEDED = "credit_limit_exceeded"
    MANDATORY_CREDIT_LIMIT = "mandatory_credit_limit"
    CREDIT_LIMIT_EXPIRED = "credit_limit_expired"
    DAYS_OVERDUE = "days_overdue"
    OVERDUE_AMOUNT = "overdue_amount"
    ACCOUNT_STATUS = "account_status"
    TERMS_OF_PAYMENT = "terms_of_payment"
    SALES_ORDER_AMOUNT = "sales_order_amount"
    PAYMENT_TERMS_INCREASED = "payment_terms_increased"
    SETTLEMENT_DISCOUNT_INCREASED = "settlement_discount_increased"
    FORCED = "forced"


_SCOPED = {
    RuleType.DAYS_OVERDUE,
    RuleType.CREDIT_LIMIT_EXPIRED,
    RuleType.OVERDUE_AMOUNT,
    RuleType.SALES_ORDER_AMOUNT,
    RuleType.CREDIT_LIMIT_USED,
}
_VALUE_TYPES: dict[RuleType, set[ValueType]] = {
    RuleType.DAYS_OVERDUE: {ValueType.DAYS, ValueType.AMOUNT},
    RuleType.ACCOUNT_STATUS: set(),
    RuleType.TERMS_OF_PAYMENT: set(),
    RuleType.CREDIT_LIMIT_EXPIRED: {ValueType.DAYS},
    RuleType.OVERDUE_AMOUNT: {ValueType.AMOUNT, ValueType.PERCENT},
    RuleType.SALES_ORDER_AMOUNT: {ValueType.AMOUNT},
    RuleType.CREDIT_LIMIT_USED: {ValueType.PERCENT},
}
_DEFAULT_VALUE_TYPE: dict[RuleType, ValueType | None] = {
    RuleType.DAYS_OVERDUE: ValueType.DAYS,
    RuleType.ACCOUNT_STATUS: None,
    RuleType.TERMS_OF_PAYMENT: None,
    RuleType.CREDIT_LIMIT_EXPIRED: ValueType.DAYS,
    RuleType.OVERDUE_AMOUNT: ValueType.PERCENT,
    RuleType.SALES_ORDER_AMOUNT: ValueType.AMOUNT,
    RuleType.CREDIT_LIMIT_USED: ValueType.PERCENT,
}


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """One row of the blocking-rules setup. ``value`` and ``credit_limit_threshold`` are exact
    decimals; amounts are in the legal entity's accounting currency."""

    id: str
    rule: RuleType
    kind: RuleKind = RuleKind.BLOCKING
    valid_for: ValidFor = ValidFor.ALL
    account_or_group: str | None = None
    risk_group: str | None = None
    value_type: ValueType | None = None
    value: Decimal | None = None
    credit_limit_threshold: Decimal | None = None
    account_status: str | None = None
    terms_of_payment: str | None = None
    release_sales_order: bool = False

    @property
    def level(self) -> ValidFor:
        return self.valid_for if self.rule in _SCOPED else ValidFor.ALL

    @property
    def is_blocking(self) -> bool:
        return self.kind == RuleKind.BLOCKING

    def describe(self) -> str:
        scope = (
            self.level.value
            if self.account_or_group is None
            else (f"{self.level.value} {self.account_or_group}")
        )
        detail = ""
        if self.rule == RuleType.ACCOUNT_STATUS:
            detail = f" {self.account_status}"
        elif self.rule == RuleType.TERMS_OF_PAYMENT:
            detail = f" {self.terms_of_payment}"
        elif self.value is not None:
            unit = {ValueType.DAYS: " days", ValueType.PERCENT: " %", ValueType.AMOUNT: ""}
            detail = f" {self.value}{unit.get(self.value_type, '') if self.value_type else ''}"
        if self.credit_limit_threshold is not None:
            detail += f", usage threshold {self.credit_limit_threshold}"
        release = ", release sales order" if self.release_sales_order else ""
        return f"{self.kind.value} rule {self.rule.value}{detail} ({scope}{release})"


def make_rule(
    *,
    id: str,
    rule: RuleType,
    kind: RuleKind = RuleKind.BLOCKING,
    valid_for: ValidFor = ValidFor.ALL,
    account_or_group: str | None = None,
    risk_group: str | None = None,
    value_type: ValueType | None = None,
    value: Decimal | None = None,
    credit_limit_threshold: Decimal | None = None,
    account_status: str | None = None,
    terms_of_payment: str | None = None,
    release_sales_order: bool = False,
) -> BlockingRule:
    """Build a rule, checking that its fields fit its type (raises ``InvalidRuleError``)."""

    def bad(message: str) -> InvalidRuleError:
        return InvalidRuleError(f"{rule.value} rule: {message}", rule=rule.value)

    if rule in _SCOPED:
        if valid_for == ValidFor.ALL and account_or_group is not None:
            raise bad("account_or_group must be empty when valid_for is all")
        if valid_for != ValidFor.ALL and not account_or_group:
            raise bad(f"valid_for {valid_for.value} needs account_or_group")
    else:
        if valid_for != ValidFor.ALL or account_or_group is not None:
            raise bad("this rule type has no scope: use valid_for all and no account_or_group")
        if risk_group is not None:
            raise bad("this rule type has no risk-group filter")
    if release_sales_order and kind != RuleKind.EXCLUSION:
        raise bad("release_sales_order applies to exclusion rules only")
    allowed = _VALUE_TYPES[rule]
    if value_type is None:
        value_type = _DEFAULT_VALUE_TYPE[rule]
    if allowed and value_type not in allowed:
        raise bad(f"value_type must be one of {sorted(v.value for v in allowed)}")
    if not allowed and value_type is not None:
        raise bad("this rule type takes no value_type")
    if (
        value_type == ValueType.AMOUNT
        and rule == RuleType.DAYS_OVERDUE
        and kind != RuleKind.EXCLUSION
    ):
        raise bad("an amount value type is only allowed on a days-overdue exclusion")
    if rule == RuleType.ACCOUNT_STATUS:
        if not account_status:
            raise bad("account_status is required")
        if value is not None or credit_limit_threshold is not None or terms_of_payment:
            raise bad("only account_status is used")
    elif rule == RuleType.TERMS_OF_PAYMENT:
        if not terms_of_payment:
            raise bad("terms_of_payment is required")
        if value is not None or credit_limit_threshold is not None or account_status:
            raise bad("only terms_of_payment is used")
    else:
        if account_status or terms_of_payment:
            raise bad("account_status and terms_of_payment are not used by this rule type")
        if value is None:
            raise bad("value is required")
        if value < 0:
            raise bad("value must not be negative")
        if value_type == ValueType.DAYS and value != value.to_integral_value():
            raise bad("days must be a whole number")
        if rule == RuleType.OVERDUE_AMOUNT:
            if credit_limit_threshold is None:
                raise bad("credit_limit_threshold is required")
            if credit_limit_threshold < 0:
                raise bad("credit_limit_threshold must not be negative")
        elif credit_limit_threshold is not None:
            raise bad("credit_limit_threshold is only used by the overdue amount rule")
    return BlockingRule(
        id=id,
        rule=rule,
        kind=kind,
        valid_for=valid_for if rule in _SCOPED else ValidFor.ALL,
        account_or_group=account_or_group,
        risk_group=risk_group,
        value_type=value_type,
        value=value,
        credit_limit_threshold=credit_limit_threshold,
        account_status=account_status,
        terms_of_payment=terms_of_payment,
        release_sales_order=release_sales_order,
    )


def default_rules(rule_id: str) -> tuple[BlockingRule, ...]:
    """The one rule of a new legal entity: credit limit used, 100 %, valid for all."""
    return (
        make_rule(
            id=rule_id,
            rule=RuleType.CREDIT_LIMIT_USED,
            value_type=ValueType.PERCENT,
            value=Decimal(100),
        ),
    )


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an order goes on hold. ``details`` values are Money, str, int, Decimal or None."""

    code: ReasonCode
    message: str
    scope: LimitScope | None = None
    details: dict[str, Any] = field(default_factory=dict)
    rule_id: str | None = None


@dataclass(frozen=True, slots=True)
class CheckFacts:
    """Everything the rules look at, gathered (and converted) by the service layer.

    Amount rules compare in the legal entity's accounting currency; overdue figures are the
    ordering customer's own (A-14).
    """

    as_of: date
    account: str
    credit_management_group: str | None
    risk_group: str | None
    account_status: str | None
    order_payment_terms: str | None
    order_settlement_discount: str | None
    customer_payment_terms: str | None
    customer_settlement_discount: str | None
    order_amount: Money
    overdue_amount: Money
    oldest_overdue_days: int | None
    exposure_after: Money | None
    unlimited: bool
    limit_lines: tuple[LimitLine, ...]
    limit_expires_on: date | None
    group_id: str | None = None
    group_limit_expires_on: date | None = None
    ignore_blank_expiry: bool = True
    check_credit_limit_used: bool = True
    check_payment_terms_increase: bool = False
    check_settlement_discount_increase: bool = False
    payment_terms_ranks: dict[str, int] = field(default_factory=dict)
    settlement_discount_ranks: dict[str, int] = field(default_factory=dict)
    account_status_holds: bool = False
    every_limit: bool = False


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    reasons: tuple[Reason, ...]
    released_by: BlockingRule | None
    trace: tuple[str, ...]
    threshold_percent: Decimal


def applicable(rules: Iterable[BlockingRule], facts: CheckFacts) -> list[BlockingRule]:
    """Rules whose scope and risk-group filter match the customer."""
    result = []
    for rule in rules:
        if rule.risk_group is not None and rule.risk_group != facts.risk_group:
            continue
        level = rule.level
        if level == ValidFor.TABLE and rule.account_or_group != facts.account:
            continue
        if level == ValidFor.GROUP and (
            facts.credit_management_group is None
            or rule.account_or_group != facts.credit_management_group
        ):
            continue
        result.append(rule)
    return result


def has_blocking_rule(rules: Iterable[BlockingRule]) -> bool:
    return any(rule.is_blocking for rule in rules)


def _expired(expires_on: date | None, days: int, facts: CheckFacts) -> bool:
    if expires_on is None:
        return not facts.ignore_blank_expiry
    return facts.as_of > expires_on + timedelta(days=days)


def _fire(rule: BlockingRule, facts: CheckFacts) -> list[Reason]:
    """The reasons a blocking rule gives for this order (empty when it does not fire)."""
    value = rule.value if rule.value is not None else Decimal(0)
    acc = facts.order_amount.currency
    if rule.rule == RuleType.DAYS_OVERDUE:
        days = facts.oldest_overdue_days
        if days is not None and days > value:
            return [
                Reason(
                    ReasonCode.DAYS_OVERDUE,
                    f"an open invoice is {days} days past due, more than the {value} allowed",
                    details={"days": days, "allowed_days": int(value)},
                    rule_id=rule.id,
                )
            ]
        return []
    if rule.rule == RuleType.ACCOUNT_STATUS:
        if facts.account_status is not None and facts.account_status == rule.account_status:
            return [
                Reason(
                    ReasonCode.ACCOUNT_STATUS,
                    f"the customer's account status is {facts.account_status}",
                    details={"account_status": facts.account_status},
                    rule_id=rule.id,
                )
            ]
        return []
    if rule.rule == RuleType.TERMS_OF_PAYMENT:
        if (
            facts.order_payment_terms is not None
            and facts.order_payment_terms == rule.terms_of_payment
        ):
            return [
                Reason(
                    ReasonCode.TERMS_OF_PAYMENT,
                    f"the order's terms of payment are {facts.order_payment_terms}",
                    details={"terms_of_payment": facts.order_payment_terms},
                    rule_id=rule.id,
                )
            ]
        return []
    if rule.rule == RuleType.CREDIT_LIMIT_EXPIRED:
        days = int(value)
        reasons = []
        if facts.group_id is not None and _expired(facts.group_limit_expires_on, days, facts):
            reasons.append(
                Reason(
                    ReasonCode.CREDIT_LIMIT_EXPIRED,
                    f"the credit group's limit expired on {facts.group_limit_expires_on}",
                    scope=LimitScope.GROUP,
                    details={"expired_on": facts.group_limit_expires_on, "grace_days": days},
                    rule_id=rule.id,
                )
            )
        if _expired(facts.limit_expires_on, days, facts):
            what = (
                f"expired on {facts.limit_expires_on}"
                if facts.limit_expires_on is not None
                else "has no expiration date"
            )
            reasons.append(
                Reason(
                    ReasonCode.CREDIT_LIMIT_EXPIRED,
                    f"the customer's credit limit {what}",
                    scope=LimitScope.INDIVIDUAL,
                    details={"expired_on": facts.limit_expires_on, "grace_days": days},
                    rule_id=rule.id,
                )
            )
        return reasons
    if rule.rule == RuleType.OVERDUE_AMOUNT:
        threshold = rule.credit_limit_threshold or Decimal(0)
        if facts.overdue_amount.amount <= value:
            return []
        if not facts.unlimited:
            if rule.value_type == ValueType.PERCENT:
                usage = usage_percent(facts.limit_lines)
                if usage is None or usage <= threshold:
                    return []
            else:
                exposure = facts.exposure_after
                if exposure is None or exposure.amount <= threshold:
                    return []
        return [
            Reason(
                ReasonCode.OVERDUE_AMOUNT,
                f"overdue amount {facts.overdue_amount} is over {value} {acc} "
                f"with credit usage over {threshold}"
                + (" %" if rule.value_type == ValueType.PERCENT else f" {acc}"),
                details={
                    "overdue": facts.overdue_amount,
                    "allowed": Money.of(value.quantize(acc.quantum), acc.code),
                    "usage_threshold": threshold,
                },
                rule_id=rule.id,
            )
        ]
    if rule.rule == RuleType.SALES_ORDER_AMOUNT:
        if facts.order_amount.amount > value:
            return [
                Reason(
                    ReasonCode.SALES_ORDER_AMOUNT,
                    f"the order amount {facts.order_amount} is over {value} {acc}",
                    details={
                        "order": facts.order_amount,
                        "allowed": Money.of(value.quantize(acc.quantum), acc.code),
                    },
                    rule_id=rule.id,
                )
            ]
        return []
    # credit limit used
    if not facts.check_credit_limit_used:
        return []
    reasons = []
    for line in failing_lines(facts.limit_lines, value, every=facts.every_limit):
        code = (
            ReasonCode.MANDATORY_CREDIT_LIMIT
            if line.mandatory_zero
            else ReasonCode.CREDIT_LIMIT_EXCEEDED
        )
        who = "credit group's" if line.scope == LimitScope.GROUP else "customer's"
        over = "" if value == HUNDRED else f" of {value} %"
        message = (
            f"mandatory credit limit 0.00 {line.limit.currency}: the order adds exposure"
            if line.mandatory_zero
            else f"exposure {line.exposure_before} + order {line.order} = {line.exposure_after} "
            f"is over the {who} limit{over} of {line.limit}"
        )
        reasons.append(
            Reason(
                code,
                message,
                scope=line.scope,
                details={
                    "limit": line.limit,
                    "exposure": line.exposure_before,
                    "order": line.order,
                    "threshold_percent": value,
                },
                rule_id=rule.id,
            )
        )
    return reasons


def _exclusion_applies(rule: BlockingRule, facts: CheckFacts) -> bool:
    """An exclusion applies when the customer is inside what it tolerates."""
    value = rule.value if rule.value is not None else Decimal(0)
    if rule.rule == RuleType.DAYS_OVERDUE:
        if rule.value_type == ValueType.AMOUNT:
            return facts.overdue_amount.amount <= value  # equal is excluded (SPEC A-08)
        return facts.oldest_overdue_days is None or facts.oldest_overdue_days <= value
    if rule.rule == RuleType.ACCOUNT_STATUS:
        return facts.account_status is not None and facts.account_status == rule.account_status
    if rule.rule == RuleType.TERMS_OF_PAYMENT:
        return facts.order_payment_terms == rule.terms_of_payment
    if rule.rule == RuleType.CREDIT_LIMIT_EXPIRED:
        expired_group = facts.group_id is not None and _expired(
            facts.group_limit_expires_on, int(value), facts
        )
        return not expired_group and not _expired(facts.limit_expires_on, int(value), facts)
    if rule.rule == RuleType.OVERDUE_AMOUNT:
        as_blocking = BlockingRule(
            id=rule.id,
            rule=rule.rule,
            value_type=rule.value_type,
            value=rule.value,
            credit_limit_threshold=rule.credit_limit_threshold,
        )
        return not _fire(as_blocking, facts)
    if rule.rule == RuleType.SALES_ORDER_AMOUNT:
        return facts.order_amount.amount <= value
    # credit limit used
    return not failing_lines(facts.limit_lines, value)


def _ranking_reasons(facts: CheckFacts) -> list[Reason]:
    reasons = []
    pairs = (
        (
            facts.check_payment_terms_increase,
            facts.payment_terms_ranks,
            facts.order_payment_terms,
            facts.customer_payment_terms,
            ReasonCode.PAYMENT_TERMS_INCREASED,
            "payment terms",
        ),
        (
            facts.check_settlement_discount_increase,
            facts.settlement_discount_ranks,
            facts.order_settlement_discount,
            facts.customer_settlement_discount,
            ReasonCode.SETTLEMENT_DISCOUNT_INCREASED,
            "settlement discount",
        ),
    )
    for enabled, ranks, ordered, default, code, label in pairs:
        if not enabled or ordered is None or default is None:
            continue
        if ordered not in ranks or default not in ranks:
            continue  # unranked codes never hold
        if ranks[ordered] > ranks[default]:
            reasons.append(
                Reason(
                    code,
                    f"the order's {label} {ordered} (rank {ranks[ordered]}) rank higher than "
                    f"the customer's default {default} (rank {ranks[default]})",
                    details={"order": ordered, "default": default},
                )
            )
    return reasons


def evaluate_rules(rules: Iterable[BlockingRule], facts: CheckFacts) -> RuleOutcome:
    """Run the rule set for one order (reference §3.11); every reason that fires is kept."""
    rules = applicable(rules, facts)
    trace: list[str] = []
    threshold = _credit_limit_threshold(rules)
    for rule in rules:
        if not rule.is_blocking and rule.release_sales_order and _exclusion_applies(rule, facts):
            trace.append(f"{rule.describe()} applies: the order is released, no other rule runs")
            ranking = _ranking_reasons(facts)  # rankings are not rules: never excluded
            trace.extend(f"ranking: {reason.message}" for reason in ranking)
            held = _account_status_reasons(facts, ranking)
            trace.extend(f"account status: {reason.message}" for reason in held)
            return RuleOutcome((*ranking, *held), rule, tuple(trace), threshold)
    reasons: list[Reason] = []
    grouped: dict[tuple[RuleType, ValidFor], list[BlockingRule]] = {}
    for rule in rules:
        grouped.setdefault((rule.rule, rule.level), []).append(rule)
    for rule_type in RULE_ORDER:
        suppressed: set[ValueType | None] = set()
        for level in LEVELS:
            at_level = grouped.get((rule_type, level))
            if not at_level:
                continue
            blocking = [r for r in at_level if r.is_blocking and r.value_type not in suppressed]
            fired: list[Reason] = []
            for rule in blocking:
                found = _fire(rule, facts)
                trace.append(f"{rule.describe()}: {'fires' if found else 'does not fire'}")
                if found:
                    fired = found
                    break
            if fired:
                reasons.extend(fired)
                break
            for rule in at_level:
                if rule.is_blocking or rule.release_sales_order:
                    continue
                if _exclusion_applies(rule, facts):
                    trace.append(
                        f"{rule.describe()} applies: broader {rule_type.value} rules with value "
                        f"type {rule.value_type} are skipped"
                    )
                    suppressed.add(rule.value_type)
    ranking = _ranking_reasons(facts)
    for reason in ranking:
        trace.append(f"ranking: {reason.message}")
    reasons.extend(ranking)
    held = _account_status_reasons(facts, reasons)
    trace.extend(f"account status: {reason.message}" for reason in held)
    reasons.extend(held)
    return RuleOutcome(tuple(reasons), None, tuple(trace), threshold)


def _account_status_reasons(facts: CheckFacts, found: Iterable[Reason]) -> list[Reason]:
    """The hold an account status's own setting places (SPEC §3.5); not a rule, so no
    exclusion lifts it. One account-status reason at most per decision."""
    if not facts.account_status_holds or facts.account_status is None:
        return []
    if any(reason.code == ReasonCode.ACCOUNT_STATUS for reason in found):
        return []
    return [
        Reason(
            ReasonCode.ACCOUNT_STATUS,
            f"the customer's account status {facts.account_status} holds its orders",
            details={"account_status": facts.account_status},
        )
    ]


def _credit_limit_threshold(rules: list[BlockingRule]) -> Decimal:
    """The usage threshold shown with the limits: the narrowest blocking credit-limit-used
    rule's (Table before Group before All), 100 % when there is none."""
    for level in LEVELS:
        for rule in rules:
            if (
                rule.rule == RuleType.CREDIT_LIMIT_USED
                and rule.is_blocking
                and rule.level == level
                and rule.value is not None
            ):
                return rule.value
    return HUNDRED
