"""Credit setup of a legal entity: the credit parameters and the checkpoints.

A checkpoint is a posting step of a sales order (confirmation, picking list, packing slip,
invoice). Each row says whether the credit rules run when that document is posted, when a pro
forma of it is posted, and how many grace days a released order gets before the rules run
again. Grace days exist only on posting rows, and on all of them or none (reference §2.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from creditdesk.domain.errors import InvalidCheckpointSetupError


class Checkpoint(StrEnum):
    CONFIRMATION = "confirmation"
    PICKING_LIST = "picking_list"
    PACKING_SLIP = "packing_slip"
    INVOICE = "invoice"


class CreditLimitType(StrEnum):
    """What the credit-limit rules measure as exposure (reference §1.11)."""

    BALANCE = "balance"
    BALANCE_AND_PACKING_SLIPS = "balance_and_packing_slips"
    BALANCE_AND_ALL = "balance_and_all"


@dataclass(frozen=True, slots=True)
class CheckpointSetup:
    checkpoint: Checkpoint
    posting: bool = False
    pro_forma: bool = False
    grace_days: int | None = None

    def enabled_for(self, *, posting: bool) -> bool:
        return self.posting if posting else self.pro_forma


def default_checkpoints() -> tuple[CheckpointSetup, ...]:
    return (
        CheckpointSetup(Checkpoint.CONFIRMATION, posting=True),
        CheckpointSetup(Checkpoint.PICKING_LIST),
        CheckpointSetup(Checkpoint.PACKING_SLIP),
        CheckpointSetup(Checkpoint.INVOICE),
    )


def validate_checkpoints(rows: tuple[CheckpointSetup, ...]) -> tuple[CheckpointSetup, ...]:
    """Full set of four rows in checkpoint order; raises on the invalid combinations of B42/B43."""
    seen: dict[Checkpoint, CheckpointSetup] = {}
    for row in rows:
        if row.checkpoint in seen:
            raise InvalidCheckpointSetupError(
                f"checkpoint {row.checkpoint} is listed twice", checkpoint=row.checkpoint.value
            )
        if row.grace_days is not None and row.grace_days < 0:
            raise InvalidCheckpointSetupError(
                f"grace days of {row.checkpoint} must be 0 or more", checkpoint=row.checkpoint.value
            )
        if row.grace_days is not None and not row.posting:
            raise InvalidCheckpointSetupError(
                f"grace days can only be set on a checkpoint enabled for posting "
                f"({row.checkpoint} is not)",
                checkpoint=row.checkpoint.value,
            )
        seen[row.checkpoint] = row
    full = tuple(seen.get(cp, CheckpointSetup(cp)) for cp in Checkpoint)
    posting_rows = [row for row in full if row.posting]
    with_grace = [row for row in posting_rows if row.grace_days is not None]
    if with_grace and len(with_grace) != len(posting_rows):
        missing = ", ".join(row.checkpoint.value for row in posting_rows if row.grace_days is None)
        raise InvalidCheckpointSetupError(
            f"grace days must be set on every checkpoint enabled for posting or on none "
            f"(missing on: {missing})",
            missing=missing,
        )
    return full


@dataclass(frozen=True, slots=True)
class CreditParameters:
    """The credit parameters of one legal entity (reference §2, SPEC decisions)."""

    credit_management: bool = True
    credit_limit_type: CreditLimitType = CreditLimitType.BALANCE_AND_ALL
    check_group_limits: bool = True
    allow_manual_limit_edit: bool = True
    check_credit_limit_on_sales_order: bool = True
    check_payment_terms_increase: bool = False
    check_settlement_discount_increase: bool = False
    skip_rules_after_release: bool = False
    ignore_blank_expiry: bool = True
    auto_release_with_posting: bool = False
    release_reason_ready: str | None = None
    release_reason_cancel: str | None = None
    release_reason_modified: str | None = None
    exclude_intercompany_orders: bool = True
    checkpoints: tuple[CheckpointSetup, ...] = field(default_factory=default_checkpoints)

    def checkpoint(self, checkpoint: Checkpoint) -> CheckpointSetup:
        for row in self.checkpoints:
            if row.checkpoint == checkpoint:
                return row
        return CheckpointSetup(checkpoint)
