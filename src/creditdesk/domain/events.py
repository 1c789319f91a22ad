"""Events the order system hears about: every hold placed, released, rejected or cancelled.

They are written to an outbox in the same transaction as the change itself, so an event exists
exactly when its change was committed, and delivered afterwards, in order, at least once.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    HOLD_PLACED = "hold.placed"
    HOLD_RELEASED = "hold.released"
    HOLD_REJECTED = "hold.rejected"
    HOLD_CANCELLED = "hold.cancelled"
    HOLD_UPDATED = "hold.updated"
    WORKFLOW_SUBMITTED = "workflow.submitted"
    WORKFLOW_APPROVED = "workflow.approved"
    WORKFLOW_REJECTED = "workflow.rejected"
    WORKFLOW_RECALLED = "workflow.recalled"
    WORKFLOW_COMPLETED = "workflow.completed"
    WORKFLOW_RETURNED = "workflow.returned"


def backoff_seconds(failures: int) -> int:
    """Wait before the next delivery attempt: 5 s doubling per failure, at most one hour."""
    if failures <= 0:
        return 0
    return int(min(5 * 2 ** (failures - 1), 3600))
