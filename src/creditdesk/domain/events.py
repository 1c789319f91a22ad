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


class DeliveryError(StrEnum):
    """Why a webhook delivery failed, as the webhook's ``last_error`` shows it. A category,
    never the raw exception text: raw connection errors ("connection refused" here, a timeout
    there) would let whoever registers webhooks map which internal hosts and ports answer."""

    INVALID_URL = "invalid_url"
    DNS_ERROR = "dns_error"
    ADDRESS_NOT_ALLOWED = "address_not_allowed"
    CONNECTION_REFUSED = "connection_refused"
    CONNECTION_FAILED = "connection_failed"
    TIMEOUT = "timeout"
    TLS_ERROR = "tls_error"
    PROTOCOL_ERROR = "protocol_error"
    HTTP_STATUS_3XX = "http_status_3xx"
    HTTP_STATUS_4XX = "http_status_4xx"
    HTTP_STATUS_5XX = "http_status_5xx"


def status_error(status: int) -> DeliveryError | None:
    """None for a 2xx answer (delivered), else the category of the answer."""
    if 200 <= status < 300:
        return None
    return {
        3: DeliveryError.HTTP_STATUS_3XX,
        4: DeliveryError.HTTP_STATUS_4XX,
        5: DeliveryError.HTTP_STATUS_5XX,
    }.get(status // 100, DeliveryError.PROTOCOL_ERROR)
