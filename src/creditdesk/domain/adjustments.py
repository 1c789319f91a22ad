"""Credit limit adjustment journals and temporary credit limits (reference §1.8, §6; SPEC A-07).

A journal is either of type *credit limit* (each line replaces a customer's or a credit group's
limit and its expiry) or *temporary credit limit* (each line adds a time-boxed override limit;
the ordinary limit applies again after it). A line targets a customer or a credit group, never
both. A posted journal is immutable. Temporary limits of one target may not overlap.

Generating lines from existing limits (reference §6.3, inferred formula):
``new = round_to(current + v)`` (fixed) or ``round_to(current * (1 + v/100))`` (percent), where
``round_to`` goes to a multiple of the round-off unit, up or down as asked; a result below zero
becomes zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum

from creditdesk.domain.errors import (
    ConflictError,
    DomainError,
    ExpirationDateRequiredError,
    InvalidDateError,
    NegativeAmountError,
)
from creditdesk.domain.money import ROUNDING, Money


class CustomerOrGroupError(DomainError):
    code = "customer_or_group"


class TemporaryDatesRequiredError(DomainError):
    code = "temporary_dates_required"


class InvalidRoundOffError(DomainError):
    code = "invalid_round_off"


class JournalPostedError(ConflictError):
    code = "journal_posted"


class OverlappingTemporaryLimitError(ConflictError):
    code = "overlapping_temporary_limit"


class EmptyJournalError(DomainError):
    code = "journal_empty"


class JournalType(StrEnum):
    CREDIT_LIMIT = "credit_limit"
    TEMPORARY_CREDIT_LIMIT = "temporary_credit_limit"


class ValueType(StrEnum):
    FIXED = "fixed"
    PERCENT = "percent"


class RoundingForm(StrEnum):
    UP = "up"
    DOWN = "down"


class DateMethod(StrEnum):
    ABSOLUTE = "absolute"
    RELATIVE = "relative"


@dataclass(frozen=True, slots=True)
class Target:
    """What a line adjusts: a customer account of the journal's legal entity, or a group."""

    customer: str | None = None
    credit_group: str | None = None

    @classmethod
    def of(cls, customer: str | None, credit_group: str | None) -> Target:
        if (customer is None) == (credit_group is None):
            raise CustomerOrGroupError(
                "an adjustment line names exactly one of a customer account or a credit group",
                customer=customer,
                credit_group=credit_group,
            )
        return cls(customer, credit_group)

    @property
    def kind(self) -> str:
        return "customer" if self.customer is not None else "credit_group"

    @property
    def id(self) -> str:
        value = self.customer if self.customer is not None else self.credit_group
        assert value is not None
        return value


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive date range ``[start, end]``."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidDateError(
                f"the to date {self.end} is before the from date {self.start}",
                start=self.start.isoformat(),
                end=self.end.isoformat(),
            )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True, slots=True)
class JournalLine:
    line_no: int
    target: Target
    name: str
    new_limit: Money
    current_limit: Money | None = None
    new_expires_on: date | None = None
    period: Period | None = None


def make_line(
    journal_type: JournalType,
    line_no: int,
    target: Target,
    name: str,
    new_limit: Money,
    current_limit: Money | None,
    new_expires_on: date | None,
    start: date | None,
    end: date | None,
) -> JournalLine:
    """A valid line for a journal of ``journal_type`` (B60, B61)."""
    if new_limit.is_negative:
        raise NegativeAmountError("a credit limit cannot be negative")
    if journal_type is JournalType.CREDIT_LIMIT:
        if new_expires_on is None:
            raise ExpirationDateRequiredError(
                "a credit limit adjustment line needs a new expiration date (new_expires_on)"
            )
        if start is not None or end is not None:
            raise DomainError("from/to dates belong to temporary credit limit journals")
        return JournalLine(line_no, target, name, new_limit, current_limit, new_expires_on)
    if start is None or end is None:
        raise TemporaryDatesRequiredError(
            "a temporary credit limit line needs a from date and a to date"
        )
    if new_expires_on is not None:
        raise DomainError("new_expires_on belongs to credit limit journals")
    return JournalLine(line_no, target, name, new_limit, current_limit, None, Period(start, end))


@dataclass(frozen=True, slots=True)
class Journal:
    legal_entity: str
    id: str
    type: JournalType
    description: str
    lines: tuple[JournalLine, ...] = ()
    posted: bool = False
    posted_on: date | None = None

    def ensure_open(self) -> None:
        if self.posted:
            raise JournalPostedError(
                f"credit limit journal {self.id} is posted and can no longer change",
                journal=self.id,
            )

    @property
    def next_line_no(self) -> int:
        return max((line.line_no for line in self.lines), default=0) + 1


@dataclass(frozen=True, slots=True)
class TemporaryLimit:
    target: Target
    amount: Money
    period: Period
    journal: str | None = None


def active_temporary(limits: Iterable[TemporaryLimit], on: date) -> TemporaryLimit | None:
    """The temporary limit in force on ``on`` (limits never overlap, so at most one)."""
    for item in limits:
        if item.period.contains(on):
            return item
    return None


def check_no_overlap(
    new: Iterable[tuple[Target, Period]], existing: Iterable[TemporaryLimit]
) -> None:
    """Reject temporary limits that overlap each other or one already in force (A-07)."""
    seen: dict[Target, list[Period]] = {}
    for item in existing:
        seen.setdefault(item.target, []).append(item.period)
    for target, period in new:
        for other in seen.get(target, []):
            if period.overlaps(other):
                raise OverlappingTemporaryLimitError(
                    f"the temporary limit {period.start}..{period.end} of {target.kind} "
                    f"{target.id} overlaps another one ({other.start}..{other.end})",
                    target=target.id,
                )
        seen.setdefault(target, []).append(period)


def adjusted_limit(
    current: Money,
    value: Decimal,
    value_type: ValueType,
    round_off: Decimal,
    rounding: RoundingForm,
) -> Money:
    """The proposed limit of "generate from existing" (B62)."""
    if round_off <= 0:
        raise InvalidRoundOffError("the round-off unit must be above zero")
    with localcontext() as exact:
        exact.prec = 80
        if value_type is ValueType.FIXED:
            raw = current.amount + value
        else:
            raw = current.amount * (1 + value / 100)
        mode = ROUND_CEILING if rounding is RoundingForm.UP else ROUND_FLOOR
        units = (raw / round_off).to_integral_value(rounding=mode)
        result = units * round_off
    result = max(result, Decimal(0))
    quantum = current.currency.quantum
    if result != result.quantize(quantum, rounding=ROUNDING):
        raise InvalidRoundOffError(
            f"the round-off unit {round_off} is finer than {current.currency.code} allows"
        )
    return Money(result.quantize(quantum, rounding=ROUNDING), current.currency)


def relative_period(base: date, from_offset_days: int, to_offset_days: int) -> Period:
    """Relative dates: offsets from ``base`` (the generation date)."""
    return Period(base + timedelta(days=from_offset_days), base + timedelta(days=to_offset_days))


def relative_expiry(current_expiry: date | None, base: date, to_offset_days: int) -> date:
    """Relative expiry of a credit limit line: the target's current expiry moved by the offset
    (the generation date when it has none)."""
    return (current_expiry or base) + timedelta(days=to_offset_days)
