"""Errors of the domain: a command would break an invariant.

Every error carries a stable machine-readable ``code``; the edges (HTTP, CLI, web) map
errors by class and key on ``code``, never on the message text.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CreditDeskError(Exception):
    """Root of every error creditdesk raises on purpose."""

    code: ClassVar[str] = "creditdesk_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class DomainError(CreditDeskError):
    """Bad input or a command that would break a business invariant (HTTP 422)."""

    code = "invalid_input"


class WeakPasswordError(DomainError):
    """A password that is too short or among the commonly used ones."""

    code = "weak_password"


class InvalidAmountError(DomainError):
    code = "invalid_amount"


class AmountOutOfRangeError(InvalidAmountError):
    """An amount, or a running total it would change, does not fit 64-bit minor units: the
    most any stored amount or total can hold on every database engine."""

    code = "amount_out_of_range"


class UnknownCurrencyError(DomainError):
    code = "unknown_currency"


class CurrencyMismatchError(DomainError):
    code = "currency_mismatch"


class NegativeAmountError(DomainError):
    code = "negative_amount"


class InvalidDateError(DomainError):
    code = "invalid_date"


class InvalidDueDateError(DomainError):
    code = "invalid_due_date"


class ExchangeRateMissingError(DomainError):
    code = "exchange_rate_missing"


class InvalidRateError(DomainError):
    code = "invalid_rate"


class ExpirationDateRequiredError(DomainError):
    code = "expiration_date_required"


class InvalidCheckpointSetupError(DomainError):
    code = "invalid_checkpoints"


class InvalidRuleError(DomainError):
    code = "invalid_rule"


class InvoiceCustomerMismatchError(DomainError):
    code = "invoice_customer_mismatch"


class OverappliedPaymentError(DomainError):
    code = "payment_overapplied"


class UnknownReasonError(DomainError):
    code = "unknown_reason"


class InvalidIdentifierError(DomainError):
    code = "invalid_id"


class InvalidNameError(DomainError):
    code = "invalid_name"


class ConflictError(CreditDeskError):
    """The command clashes with the current state (HTTP 409)."""

    code = "conflict"


class AlreadyInGroupError(ConflictError):
    code = "already_in_group"


class DuplicateDocumentError(ConflictError):
    code = "duplicate_document"


class HoldNotOpenError(ConflictError):
    code = "hold_not_open"


class OrderRejectedError(ConflictError):
    code = "order_rejected"


class OrderClosedError(ConflictError):
    code = "order_closed"


class ManualLimitEditDisabledError(ConflictError):
    code = "manual_limit_edit_disabled"


class UnknownAccountStatusError(DomainError):
    code = "unknown_account_status"


class UnknownCreditManagementGroupError(DomainError):
    code = "unknown_credit_management_group"


class WorkflowRequiredError(ConflictError):
    code = "workflow_required"


class WorkflowNotEnabledError(ConflictError):
    code = "workflow_not_enabled"


class ForcedHoldError(ConflictError):
    code = "forced_hold"


class WorkflowItemStateError(ConflictError):
    code = "workflow_item_state"


class ApprovalRefusedError(CreditDeskError):
    """Segregation of duties: the caller may not approve this (HTTP 403)."""

    code = "approval_refused"


class SelfApprovalError(ApprovalRefusedError):
    code = "self_approval"


class SameApproverError(ApprovalRefusedError):
    code = "same_approver"


class NotAnApproverError(ApprovalRefusedError):
    code = "not_an_approver"


class TokenNameTakenError(ConflictError):
    code = "token_name_taken"


class ScopeRequiredError(DomainError):
    """A bulk action names neither the holds nor the legal entity it acts on."""

    code = "scope_required"


class UnsupportedInBulkError(DomainError):
    """A document a bulk import cannot take as it is (pushed one by one instead)."""

    code = "unsupported_in_bulk"
