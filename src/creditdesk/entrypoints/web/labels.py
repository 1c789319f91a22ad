"""Translated labels of the codes the use cases return (reasons, checkpoints, roles...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
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
SCOPES = {"individual": N_("Individual credit limit"), "group": N_("Shared credit limit")}
ROLES = {
    "admin": N_("Administrator"),
    "credit_manager": N_("Credit manager"),
    "credit_clerk": N_("Credit clerk"),
    "approver": N_("Approver"),
    "integration": N_("Integration"),
    "viewer": N_("Viewer"),
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


# A reason's line: a heading (by scope for the limit reasons) and a sentence with the reason's
# own figures, so a reader sees why the order is held without knowing the rule behind it.
SCOPED_REASONS = {
    "credit_limit_exceeded": {
        "individual": N_("Individual credit limit exceeded"),
        "group": N_("Shared credit limit exceeded"),
    },
    "credit_limit_expired": {
        "individual": N_("Individual credit limit expired"),
        "group": N_("Shared credit limit expired"),
    },
}
OVER_LIMIT = N_("exposure %(exposure)s + order %(order)s = %(total)s, over the limit %(limit)s")
OVER_PERCENT = N_(
    "exposure %(exposure)s + order %(order)s = %(total)s, over %(percent)s of the limit %(limit)s"
)
EXPIRED_ON = N_("expired on %(date)s")
EXPIRED_WITH_GRACE = N_("expired on %(date)s, %(days)s grace days")
NO_EXPIRATION_DATE = N_("no expiration date")
DAYS_PAST_DUE = N_("an invoice is %(days)s days past due, %(allowed)s allowed")
OVERDUE_OVER = N_("%(overdue)s overdue, %(allowed)s allowed")
STATUS_IS = N_("the customer's account status is %(status)s")
TERMS_ARE = N_("the order's payment terms are %(terms)s")
ORDER_OVER = N_("order %(order)s, %(allowed)s allowed")
ORDER_OVER_DEFAULT = N_("order %(order)s, the customer's default %(default)s")
FORCED_WITH = N_("hold reason %(reason)s")
# what a reason's details may lack or hold wrongly (older stored holds): the line then falls
# back to the heading alone
_UNREADABLE = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)


@dataclass(frozen=True)
class ReasonLine:
    """What the pages show of one reason; ``figures`` is empty when the details are missing or
    not understood; ``applies`` is false once an evaluation found the reason gone."""

    label: str
    figures: str
    applies: bool = True


def _money(raw: Any) -> tuple[Decimal, str]:
    if not isinstance(raw, Mapping):
        raise TypeError("not a money object")
    return Decimal(str(raw["amount"])), str(raw["currency"])


def _shown(t: Translator, raw: Any) -> str:
    amount, currency = _money(raw)
    return t.money({"amount": str(amount), "currency": currency})


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise TypeError("not a code")
    return raw


def _count(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise TypeError("not a whole number")
    return int(raw)


def _limit_figures(t: Translator, d: Mapping[str, Any]) -> str:
    exposure, currency = _money(d["exposure"])
    order, order_currency = _money(d["order"])
    if order_currency != currency:
        raise ValueError("exposure and order in different currencies")
    values = {
        "exposure": _shown(t, d["exposure"]),
        "order": _shown(t, d["order"]),
        "total": t.money({"amount": str(exposure + order), "currency": currency}),
        "limit": _shown(t, d["limit"]),
    }
    percent = Decimal(str(d.get("threshold_percent") or 100))
    if percent == 100:
        return t.gettext(OVER_LIMIT, **values)
    return t.gettext(OVER_PERCENT, percent=t.percent(percent), **values)


def _expired_figures(t: Translator, d: Mapping[str, Any]) -> str:
    if d["expired_on"] is None:
        return t.gettext(NO_EXPIRATION_DATE)
    day = t.date(_text(d["expired_on"]))
    grace = _count(d.get("grace_days") or 0)
    if grace == 0:
        return t.gettext(EXPIRED_ON, date=day)
    return t.gettext(EXPIRED_WITH_GRACE, date=day, days=t.number(grace))


def _days_figures(t: Translator, d: Mapping[str, Any]) -> str:
    days, allowed = _count(d["days"]), _count(d["allowed_days"])
    return t.gettext(DAYS_PAST_DUE, days=t.number(days), allowed=t.number(allowed))


def _overdue_figures(t: Translator, d: Mapping[str, Any]) -> str:
    overdue, allowed = _shown(t, d["overdue"]), _shown(t, d["allowed"])
    return t.gettext(OVERDUE_OVER, overdue=overdue, allowed=allowed)


def _order_figures(t: Translator, d: Mapping[str, Any]) -> str:
    return t.gettext(ORDER_OVER, order=_shown(t, d["order"]), allowed=_shown(t, d["allowed"]))


def _ranking_figures(t: Translator, d: Mapping[str, Any]) -> str:
    return t.gettext(ORDER_OVER_DEFAULT, order=_text(d["order"]), default=_text(d["default"]))


FIGURES: dict[str, Callable[[Translator, Mapping[str, Any]], str]] = {
    "credit_limit_exceeded": _limit_figures,
    "mandatory_credit_limit": _limit_figures,
    "credit_limit_expired": _expired_figures,
    "days_overdue": _days_figures,
    "overdue_amount": _overdue_figures,
    "account_status": lambda t, d: t.gettext(STATUS_IS, status=_text(d["account_status"])),
    "terms_of_payment": lambda t, d: t.gettext(TERMS_ARE, terms=_text(d["terms_of_payment"])),
    "sales_order_amount": _order_figures,
    "payment_terms_increased": _ranking_figures,
    "settlement_discount_increased": _ranking_figures,
    "forced": lambda t, d: t.gettext(FORCED_WITH, reason=_text(d["reason"])),
}


def reason_line(t: Translator) -> Callable[[Any], ReasonLine]:
    """One renderer for every page that shows reasons (a hold's, a credit decision's): never
    raises, whatever a stored reason holds."""

    def line(reason: Any) -> ReasonLine:
        if not isinstance(reason, Mapping):
            return ReasonLine("–", "")
        code, scope, details = reason.get("code"), reason.get("scope"), reason.get("details")
        if not isinstance(code, str) or not code:
            return ReasonLine("–", "")
        heading = SCOPED_REASONS.get(code, {}).get(str(scope)) or REASONS.get(code)
        label = t.gettext(heading) if heading is not None else code
        applies = reason.get("valid") is not False
        figures = FIGURES.get(code)
        if figures is None or not isinstance(details, Mapping):
            return ReasonLine(label, "", applies)
        try:
            return ReasonLine(label, figures(t, details), applies)
        except _UNREADABLE:
            return ReasonLine(label, "", applies)

    return line


def helpers(t: Translator) -> dict[str, Any]:
    """The label functions every template gets."""
    return {
        "reason_label": _label(REASONS, t),
        "checkpoint_label": _label(CHECKPOINTS, t),
        "scope_label": _label(SCOPES, t),
        "role_label": _label(ROLES, t),
        "bucket_label": _label(BUCKETS, t),
        "rule_label": _label(RULES, t),
        "status_label": _label(STATUSES, t),
        "decision_label": _label(DECISIONS, t),
        "journal_type_label": _label(JOURNAL_TYPES, t),
        "source_label": _label(SOURCES, t),
        "measure_label": _label(MEASURES, t),
        "reason_line": reason_line(t),
        "workflow_kind_label": _label(WORKFLOW_KINDS, t),
        "workflow_action_label": _label(WORKFLOW_ACTIONS, t),
        "item_status_label": _label(ITEM_STATUSES, t),
    }
