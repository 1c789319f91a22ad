"""Translated labels of the codes the use cases return (reasons, checkpoints, roles...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from creditdesk.entrypoints.web.i18n import N_, Translator

REASONS = {
    "credit_limit_exceeded": N_("Credit limit exceeded"),
    "mandatory_credit_limit": N_("Mandatory credit limit"),
    "credit_limit_expired": N_("Credit limit expired"),
    "days_overdue": N_("Days overdue"),
    "overdue_amount": N_("Overdue amount"),
    "account_status": N_("Account status"),
    "terms_of_payment": N_("Payment terms"),
    "sales_order_amount": N_("Sales order amount"),
    "payment_terms_increased": N_("Payment terms increased"),
    "settlement_discount_increased": N_("Settlement discount increased"),
    "forced": N_("Forced hold"),
    "multiple": N_("Several reasons"),
}
CHECKPOINTS = {
    "confirmation": N_("Confirmation"),
    "picking_list": N_("Picking list"),
    "packing_slip": N_("Packing slip"),
    "invoice": N_("Invoice"),
}
SCOPES = {"individual": "Individual credit limit", "group": "Shared credit limit"}
ROLES = {
    "admin": N_("Administrator"),
    "credit_manager": N_("Credit manager"),
    "credit_clerk": N_("Credit clerk"),
    "approver": N_("Approver"),
    "integration": N_("Integration"),
    "viewer": N_("Viewer"),
}
DETAILS = {
    "limit": N_("Credit limit"),
    "exposure": N_("Exposure"),
    "order": N_("Sales order amount"),
    "threshold_percent": N_("Threshold (%)"),
    "days": N_("Days overdue"),
    "overdue": N_("Overdue amount"),
    "expired_on": N_("Expiration date"),
    "limit_expires_on": N_("Expiration date"),
    "account_status": N_("Account status"),
    "payment_terms": N_("Payment terms"),
    "settlement_discount": N_("Settlement discount"),
    "percent_used": N_("Percent of credit limit used"),
    "available": N_("Available credit"),
}
BUCKETS = {
    "current": N_("Not due"),
    "1-30": N_("1–30 days"),
    "31-60": N_("31–60 days"),
    "61-90": N_("61–90 days"),
    "over_90": N_("Over 90 days"),
}
RULES = {
    "days_overdue": N_("Days overdue"),
    "account_status": N_("Account status"),
    "terms_of_payment": N_("Payment terms"),
    "credit_limit_expired": N_("Credit limit expired"),
    "overdue_amount": N_("Overdue amount"),
    "sales_order_amount": N_("Sales order amount"),
    "credit_limit_used": N_("Percent of credit limit used"),
    "blocking": N_("Blocking rule"),
    "exclusion": N_("Exclusion rule"),
    "table": N_("Customer"),
    "group": N_("Customer group"),
    "all": N_("All"),
    "days": N_("Days"),
    "amount": N_("Amount"),
    "percent": N_("Percent"),
    "fixed": N_("Fixed amount"),
}
STATUSES = {
    "on_hold": N_("On hold"),
    "released": N_("Released"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "approved": N_("Approved"),
}
JOURNAL_TYPES = {
    "credit_limit": N_("Credit limit"),
    "temporary_credit_limit": N_("Temporary credit limit"),
}
SOURCES = {
    "customers": N_("Customers"),
    "credit_groups": N_("Credit groups"),
    "automatic": N_("Automatic credit limits of risk groups"),
}
MEASURES = {
    "years_in_business": N_("Years in business"),
    "customer_since_years": N_("Years as a customer"),
    "average_payment_days": N_("Average payment days"),
    "days_sales_outstanding": N_("Days sales outstanding"),
    "average_balance": N_("Average balance"),
    "credit_management_group": N_("Credit management group"),
    "account_status": N_("Account status"),
    "country": N_("Country"),
    "user_defined": N_("User-defined"),
}
DECISIONS = {"passed": N_("Passed"), "on_hold": N_("On hold"), "not_checked": N_("Not checked")}
WORKFLOW_KINDS = {
    "credit_limit_journal": N_("Credit limit journal"),
    "credit_limit_journal_line": N_("Credit limit journal line"),
    "credit_hold_release": N_("Credit hold release"),
}
WORKFLOW_ACTIONS = {
    "post": N_("Post"),
    "approve_line": N_("Approve line"),
    "release": N_("Release"),
    "reject": N_("Reject"),
}
ITEM_STATUSES = {
    "pending": N_("Pending"),
    "approved": N_("Approved"),
    "completed": N_("Completed"),
    "rejected": N_("Rejected"),
    "recalled": N_("Recalled"),
    "returned": N_("Returned"),
}


def _label(table: dict[str, str], t: Translator) -> Callable[[str | None], str]:
    def label(code: str | None) -> str:
        if code is None:
            return "–"
        text = table.get(code)
        return t.gettext(text) if text is not None else code

    return label


def detail_value(t: Translator) -> Callable[[str, Any], str]:
    def value(key: str, raw: Any) -> str:
        if isinstance(raw, dict) and "amount" in raw and "currency" in raw:
            return t.money(raw)
        if isinstance(raw, bool):
            return t.yes_no(raw)
        if isinstance(raw, int | float) or (
            isinstance(raw, str) and raw.replace(".", "", 1).isdigit()
        ):
            return t.number(str(raw))
        if isinstance(raw, str) and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
            return t.date(raw)
        if key in ("account_status", "payment_terms"):
            return str(raw)
        return str(raw) if raw is not None else "–"

    return value


def helpers(t: Translator) -> dict[str, Any]:
    """The label functions every template gets."""
    return {
        "reason_label": _label(REASONS, t),
        "checkpoint_label": _label(CHECKPOINTS, t),
        "scope_label": _label(SCOPES, t),
        "role_label": _label(ROLES, t),
        "detail_label": _label(DETAILS, t),
        "bucket_label": _label(BUCKETS, t),
        "rule_label": _label(RULES, t),
        "status_label": _label(STATUSES, t),
        "decision_label": _label(DECISIONS, t),
        "journal_type_label": _label(JOURNAL_TYPES, t),
        "source_label": _label(SOURCES, t),
        "measure_label": _label(MEASURES, t),
        "detail_value": detail_value(t),
        "workflow_kind_label": _label(WORKFLOW_KINDS, t),
        "workflow_action_label": _label(WORKFLOW_ACTIONS, t),
        "item_status_label": _label(ITEM_STATUSES, t),
    }
