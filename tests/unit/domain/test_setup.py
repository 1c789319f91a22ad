"""Checkpoint setup: grace days only on posting rows, and on all of them or none (§2.2)."""

from __future__ import annotations

import pytest

from creditdesk.domain.errors import InvalidCheckpointSetupError
from creditdesk.domain.setup import (
    Checkpoint,
    CheckpointSetup,
    CreditParameters,
    default_checkpoints,
    validate_checkpoints,
)


def test_grace_days_on_some_posting_rows_but_not_all_are_refused() -> None:
    rows = (
        CheckpointSetup(Checkpoint.CONFIRMATION, posting=True, grace_days=2),
        CheckpointSetup(Checkpoint.PACKING_SLIP, posting=True),
    )

    with pytest.raises(InvalidCheckpointSetupError) as raised:
        validate_checkpoints(rows)

    assert raised.value.code == "invalid_checkpoints"
    assert "packing_slip" in str(raised.value)


def test_grace_days_on_a_row_not_enabled_for_posting_are_refused() -> None:
    rows = (CheckpointSetup(Checkpoint.PICKING_LIST, posting=False, grace_days=3),)

    with pytest.raises(InvalidCheckpointSetupError):
        validate_checkpoints(rows)


def test_grace_days_on_a_pro_forma_only_row_are_refused() -> None:
    rows = (CheckpointSetup(Checkpoint.INVOICE, pro_forma=True, grace_days=1),)

    with pytest.raises(InvalidCheckpointSetupError):
        validate_checkpoints(rows)


def test_a_checkpoint_listed_twice_is_refused() -> None:
    rows = (
        CheckpointSetup(Checkpoint.CONFIRMATION, posting=True),
        CheckpointSetup(Checkpoint.CONFIRMATION, pro_forma=True),
    )

    with pytest.raises(InvalidCheckpointSetupError):
        validate_checkpoints(rows)


def test_negative_grace_days_are_refused() -> None:
    rows = (CheckpointSetup(Checkpoint.CONFIRMATION, posting=True, grace_days=-1),)

    with pytest.raises(InvalidCheckpointSetupError):
        validate_checkpoints(rows)


def test_grace_days_on_every_posting_row_are_accepted() -> None:
    rows = (
        CheckpointSetup(Checkpoint.CONFIRMATION, posting=True, grace_days=2),
        CheckpointSetup(Checkpoint.PACKING_SLIP, posting=True, grace_days=0),
        CheckpointSetup(Checkpoint.INVOICE, pro_forma=True),
    )

    full = validate_checkpoints(rows)

    assert [row.grace_days for row in full] == [2, None, 0, None]


def test_the_result_has_all_four_rows_in_checkpoint_order() -> None:
    rows = (
        CheckpointSetup(Checkpoint.INVOICE, posting=True),
        CheckpointSetup(Checkpoint.CONFIRMATION, pro_forma=True),
    )

    full = validate_checkpoints(rows)

    assert full == (
        CheckpointSetup(Checkpoint.CONFIRMATION, pro_forma=True),
        CheckpointSetup(Checkpoint.PICKING_LIST),
        CheckpointSetup(Checkpoint.PACKING_SLIP),
        CheckpointSetup(Checkpoint.INVOICE, posting=True),
    )


def test_no_rows_at_all_give_four_disabled_checkpoints() -> None:
    full = validate_checkpoints(())

    assert [row.checkpoint for row in full] == list(Checkpoint)
    assert not any(row.posting or row.pro_forma for row in full)


def test_the_default_setup_checks_confirmation_at_posting_only() -> None:
    full = validate_checkpoints(default_checkpoints())

    assert [row.checkpoint for row in full if row.posting] == [Checkpoint.CONFIRMATION]
    assert not any(row.pro_forma for row in full)


def test_a_pro_forma_only_row_checks_pro_forma_postings_and_not_real_ones() -> None:
    row = CheckpointSetup(Checkpoint.CONFIRMATION, pro_forma=True)

    assert row.enabled_for(posting=False)
    assert not row.enabled_for(posting=True)


def test_parameters_answer_a_disabled_row_for_a_checkpoint_they_do_not_list() -> None:
    params = CreditParameters(checkpoints=(CheckpointSetup(Checkpoint.INVOICE, posting=True),))

    row = params.checkpoint(Checkpoint.PACKING_SLIP)

    assert row == CheckpointSetup(Checkpoint.PACKING_SLIP)
    assert params.checkpoint(Checkpoint.INVOICE).posting
