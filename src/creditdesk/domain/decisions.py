"""A credit decision: the stored, never-changed answer to one credit check.

It carries everything needed to explain itself: the reasons that fired, every limit tested
with its figures, the exchange rates used and a readable account of how it was reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from creditdesk.domain.limits import LimitLine
from creditdesk.domain.rules import Reason
from creditdesk.domain.setup import Checkpoint


class Outcome(StrEnum):
    PASSED = "passed"
    ON_HOLD = "on_hold"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True, slots=True)
class RateUsed:
    from_currency: str
    to_currency: str
    rate: Decimal
    valid_from: date
    inverse: bool = False


@dataclass(frozen=True, slots=True)
class LimitResult:
    line: LimitLine
    threshold_percent: Decimal
    checked: bool

    @property
    def ok(self) -> bool:
        return not self.line.exceeds(self.threshold_percent)


@dataclass(frozen=True, slots=True)
class CreditDecision:
    id: str
    legal_entity: str
    sales_order: str
    customer: str
    checkpoint: Checkpoint
    posting: bool
    as_of: date
    outcome: Outcome
    reasons: tuple[Reason, ...]
    limits: tuple[LimitResult, ...]
    rates: tuple[RateUsed, ...]
    explanation: str
    checked_at: datetime
    hold_id: str | None = None
    hold_status: str | None = None
