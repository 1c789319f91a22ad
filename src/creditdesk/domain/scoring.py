"""Risk scoring: scoring groups, risk classification and automatic credit limits
(reference §3.6, §3.7, §3.9, §8.3; SPEC A-18, A-19).

A scoring group measures one customer figure and scores it by ranges (inclusive at both ends)
or by exact values; no matching line scores 0. A customer's risk score is the sum over every
scoring group; its risk group is the one whose (non-overlapping) score range holds the total.
An automatic credit limit proposes, for a risk group and currency, the highest limit among the
lines the customer matches, when the customer's revenue does not exceed the setup's cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise

from creditdesk.domain.errors import DomainError
from creditdesk.domain.money import Money


class OverlappingRiskGroupsError(DomainError):
    code = "overlapping_risk_groups"


class InvalidScoringGroupError(DomainError):
    code = "invalid_scoring_group"


class InvalidAutomaticLimitError(DomainError):
    code = "invalid_automatic_limit"


class Measure(StrEnum):
    YEARS_IN_BUSINESS = "years_in_business"
    CUSTOMER_SINCE_YEARS = "customer_since_years"
    AVERAGE_PAYMENT_DAYS = "average_payment_days"
    DAYS_SALES_OUTSTANDING = "days_sales_outstanding"
    AVERAGE_BALANCE = "average_balance"
    CREDIT_MANAGEMENT_GROUP = "credit_management_group"
    ACCOUNT_STATUS = "account_status"
    COUNTRY = "country"
    USER_DEFINED = "user_defined"


STATISTICS_MEASURES = frozenset(
    {Measure.AVERAGE_PAYMENT_DAYS, Measure.DAYS_SALES_OUTSTANDING, Measure.AVERAGE_BALANCE}
)
NUMERIC_MEASURES = STATISTICS_MEASURES | {
    Measure.YEARS_IN_BUSINESS,
    Measure.CUSTOMER_SINCE_YEARS,
}


class ScoreType(StrEnum):
    RANGE = "range"
    VALUE = "value"


@dataclass(frozen=True, slots=True)
class ScoreLine:
    score: int
    low: Decimal | None = None
    high: Decimal | None = None
    value: str | None = None


def number(text: str) -> Decimal | None:
    """A decimal when the text is one, else None."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return value if value.is_finite() else None


def _same_value(line_value: str, value: str) -> bool:
    if line_value == value:
        return True
    a, b = number(line_value), number(value)
    return a is not None and b is not None and a == b


@dataclass(frozen=True, slots=True)
class ScoringGroup:
    id: str
    measure: Measure
    score_type: ScoreType
    lines: tuple[ScoreLine, ...]
    description: str = ""

    @classmethod
    def create(
        cls,
        id: str,
        measure: Measure,
        score_type: ScoreType,
        lines: Iterable[ScoreLine],
        description: str = "",
    ) -> ScoringGroup:
        items = tuple(lines)
        for line in items:
            if score_type is ScoreType.RANGE:
                if line.low is None or line.high is None or line.value is not None:
                    raise InvalidScoringGroupError(
                        "range scoring lines have a from and a to value (and no value)"
                    )
                if line.high < line.low:
                    raise InvalidScoringGroupError(
                        f"scoring line range {line.low}..{line.high} ends before it starts"
                    )
            elif line.value is None or line.low is not None or line.high is not None:
                raise InvalidScoringGroupError("value scoring lines have a value (and no range)")
        if score_type is ScoreType.RANGE:
            ordered = sorted(items, key=lambda line: line.low or Decimal(0))
            for first, second in pairwise(ordered):
                assert first.high is not None
                assert second.low is not None
                if second.low <= first.high:
                    raise InvalidScoringGroupError(
                        f"scoring line ranges {first.low}..{first.high} and "
                        f"{second.low}..{second.high} overlap"
                    )
        elif len({line.value for line in items}) != len(items):
            raise InvalidScoringGroupError("a value is listed twice in the scoring lines")
        return cls(id, measure, score_type, items, description)

    def score(self, value: str | None) -> int:
        """The score of a measured value: inclusive ranges, exact values, 0 without a match."""
        if value is None:
            return 0
        if self.score_type is ScoreType.RANGE:
            measured = number(value)
            if measured is None:
                return 0
            for line in self.lines:
                assert line.low is not None
                assert line.high is not None
                if line.low <= measured <= line.high:
                    return line.score
            return 0
        for line in self.lines:
            assert line.value is not None
            if _same_value(line.value, value):
                return line.score
        return 0


@dataclass(frozen=True, slots=True)
class RiskGroup:
    id: str
    description: str
    score_from: int
    score_to: int

    @classmethod
    def create(cls, id: str, description: str, score_from: int, score_to: int) -> RiskGroup:
        if score_to < score_from:
            raise InvalidScoringGroupError(
                f"risk group {id}: score_to {score_to} is below score_from {score_from}"
            )
        return cls(id, description, score_from, score_to)

    def contains(self, score: int) -> bool:
        return self.score_from <= score <= self.score_to


def check_risk_groups(new: RiskGroup, others: Iterable[RiskGroup]) -> None:
    """Risk-group score ranges may not overlap (A-18)."""
    for other in others:
        if other.id == new.id:
            continue
        if new.score_from <= other.score_to and other.score_from <= new.score_to:
            raise OverlappingRiskGroupsError(
                f"risk group {new.id} ({new.score_from}–{new.score_to}) overlaps {other.id} "
                f"({other.score_from}–{other.score_to})",
                risk_group=other.id,
            )


def classify(score: int, groups: Iterable[RiskGroup]) -> str | None:
    for group in groups:
        if group.contains(score):
            return group.id
    return None


def years_between(start: date | None, as_of: date) -> Decimal | None:
    """Whole and fractional years from ``start`` to ``as_of``, two decimals, rounded down."""
    if start is None:
        return None
    days = Decimal((as_of - start).days)
    return max(Decimal(0), days / Decimal("365.25")).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the scoring groups measure of one customer on one date."""

    as_of: date
    business_started_on: date | None = None
    customer_since: date | None = None
    average_payment_days: Decimal | None = None
    days_sales_outstanding: Decimal | None = None
    average_balance: Decimal | None = None
    credit_management_group: str | None = None
    account_status: str | None = None
    country: str | None = None
    user_values: Mapping[str, str] | None = None


def measured(group: ScoringGroup, facts: CustomerFacts) -> str | None:
    """The customer's figure for a scoring group, as canonical text (None when unknown)."""
    value: Decimal | str | None
    match group.measure:
        case Measure.YEARS_IN_BUSINESS:
            value = years_between(facts.business_started_on, facts.as_of)
        case Measure.CUSTOMER_SINCE_YEARS:
            value = years_between(facts.customer_since, facts.as_of)
        case Measure.AVERAGE_PAYMENT_DAYS:
            value = facts.average_payment_days
        case Measure.DAYS_SALES_OUTSTANDING:
            value = facts.days_sales_outstanding
        case Measure.AVERAGE_BALANCE:
            value = facts.average_balance
        case Measure.CREDIT_MANAGEMENT_GROUP:
            value = facts.credit_management_group
        case Measure.ACCOUNT_STATUS:
            value = facts.account_status
        case Measure.COUNTRY:
            value = facts.country
        case Measure.USER_DEFINED:
            value = (facts.user_values or {}).get(group.id)
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class ScoreFactor:
    scoring_group: str
    measure: Measure
    value: str | None
    score: int


@dataclass(frozen=True, slots=True)
class RiskScore:
    score: int
    risk_group: str | None
    factors: tuple[ScoreFactor, ...]


def score_customer(
    groups: Iterable[ScoringGroup], risk_groups: Iterable[RiskGroup], facts: CustomerFacts
) -> RiskScore:
    """The total score over every scoring group and the risk group it falls in (B65)."""
    factors = []
    for group in groups:
        value = measured(group, facts)
        factors.append(ScoreFactor(group.id, group.measure, value, group.score(value)))
    total = sum(f.score for f in factors)
    return RiskScore(total, classify(total, risk_groups), tuple(factors))


class Operator(StrEnum):
    EQ = "="
    NE = "<>"
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


@dataclass(frozen=True, slots=True)
class AutomaticLimitLine:
    scoring_group: str
    operator: Operator
    value: str
    limit: Money


@dataclass(frozen=True, slots=True)
class AutomaticLimit:
    risk_group: str
    revenue_cap: Money
    lines: tuple[AutomaticLimitLine, ...]

    @classmethod
    def create(
        cls, risk_group: str, revenue_cap: Money, lines: Iterable[AutomaticLimitLine]
    ) -> AutomaticLimit:
        items = tuple(lines)
        for line in items:
            if line.limit.currency != revenue_cap.currency:
                raise InvalidAutomaticLimitError(
                    f"automatic credit limit lines are in {revenue_cap.currency.code}"
                )
            if line.limit.is_negative:
                raise InvalidAutomaticLimitError("an automatic credit limit cannot be negative")
        return cls(risk_group, revenue_cap, items)

    def propose(self, values: Mapping[str, str | None], revenue: Money | None) -> Money | None:
        """The highest limit among matching lines (A-19), or None: no match, or revenue above
        the cap (a customer without a revenue figure counts as 0)."""
        if revenue is not None and revenue > self.revenue_cap:
            return None
        best: Money | None = None
        for line in self.lines:
            hit = matches(values.get(line.scoring_group), line.operator, line.value)
            if hit and (best is None or line.limit > best):
                best = line.limit
        return best


def matches(value: str | None, operator: Operator, target: str) -> bool:
    if value is None:
        return False
    a, b = number(value), number(target)
    if a is not None and b is not None:
        return {
            Operator.EQ: a == b,
            Operator.NE: a != b,
            Operator.GT: a > b,
            Operator.GE: a >= b,
            Operator.LT: a < b,
            Operator.LE: a <= b,
        }[operator]
    if operator is Operator.EQ:
        return value == target
    if operator is Operator.NE:
        return value != target
    return False
