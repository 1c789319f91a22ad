"""Errors of the application layer: unknown resources, permissions, retryable clashes."""

from __future__ import annotations

from creditdesk.domain.errors import CreditDeskError, DomainError


class ApplicationError(CreditDeskError):
    code = "application_error"


class NotFoundError(ApplicationError):
    """An unknown resource (HTTP 404)."""

    code = "not_found"


class LegalEntityNotFoundError(NotFoundError):
    code = "legal_entity_not_found"


class CustomerNotFoundError(NotFoundError):
    code = "customer_not_found"


class CreditGroupNotFoundError(NotFoundError):
    code = "credit_group_not_found"


class SalesOrderNotFoundError(NotFoundError):
    code = "sales_order_not_found"


class InvoiceNotFoundError(NotFoundError):
    code = "invoice_not_found"


class CreditCheckNotFoundError(NotFoundError):
    code = "credit_check_not_found"


class HoldNotFoundError(NotFoundError):
    code = "hold_not_found"


class RuleNotFoundError(NotFoundError):
    code = "rule_not_found"


class TokenNotFoundError(NotFoundError):
    code = "token_not_found"


class MemberNotFoundError(NotFoundError):
    code = "member_not_found"


class AuthenticationError(ApplicationError):
    """Missing or invalid credentials (HTTP 401)."""

    code = "unauthenticated"


class TooManySignInsError(AuthenticationError):
    """Sign-in refused unchecked after repeated failures for this user or address (HTTP 429);
    ``retry_after`` is the wait in whole seconds."""

    code = "too_many_sign_ins"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class UserNotFoundError(NotFoundError):
    code = "user_not_found"


class PermissionDeniedError(ApplicationError):
    """The caller's role or legal-entity scope does not allow this (HTTP 403)."""

    code = "forbidden"


class RetryableError(ApplicationError):
    """A transaction lost a race (deadlock, serialisation failure, duplicate insert); the
    whole use case may be run again."""

    code = "concurrent_update"


class JournalNotFoundError(NotFoundError):
    code = "journal_not_found"


class WebhookUrlNotAllowedError(DomainError):
    """A webhook URL that resolves to a loopback, private, link-local or metadata address, or
    does not resolve at all (HTTP 422); ``CREDITDESK_WEBHOOK_ALLOW_PRIVATE=true`` allows the
    first kind, for receivers inside the network."""

    code = "webhook_url_not_allowed"
