"""Plain JSON-ready values of domain objects, shared by the API, the stored decisions, the
audit trail and the CLI. Money is ``{"amount": "12.50", "currency": "EUR"}``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from creditdesk.domain.customers import Customer
from creditdesk.domain.decisions import CreditDecision
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.holds import Hold
from creditdesk.domain.money import Money
from creditdesk.domain.rules import BlockingRule, Reason
from creditdesk.domain.setup import CreditParameters


def money(value: Money | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"amount": str(value.amount), "currency": value.currency.code}


def plain(value: Any) -> Any:
    """Any detail value made JSON-ready."""
    if isinstance(value, Money):
        return money(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def reason(value: Reason, valid: bool | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": value.code.value,
        "scope": value.scope.value if value.scope else None,
        "message": value.message,
        "details": plain(value.details),
    }
    if value.rule_id is not None:
        body["rule_id"] = value.rule_id
    if valid is not None:
        body["valid"] = valid
    return body


def decision(value: CreditDecision) -> dict[str, Any]:
    return {
        "id": value.id,
        "sales_order": value.sales_order,
        "legal_entity": value.legal_entity,
        "customer": value.customer,
        "checkpoint": value.checkpoint.value,
        "posting": value.posting,
        "as_of": value.as_of.isoformat(),
        "decision": value.outcome.value,
        "hold": None
        if value.hold_id is None
        else {"id": value.hold_id, "status": value.hold_status},
        "reasons": [reason(r) for r in value.reasons],
        "limits": [
            {
                "scope": result.line.scope.value,
                "limit": money(result.line.limit),
                "exposure_before": money(result.line.exposure_before),
                "order": money(result.line.order),
                "available": money(result.line.available),
                "threshold_percent": str(result.threshold_percent),
                "checked": result.checked,
                "ok": result.ok,
            }
            for result in value.limits
        ],
        "rates": [
            {
                "from_currency": rate.from_currency,
                "to_currency": rate.to_currency,
                "rate": str(rate.rate),
                "valid_from": rate.valid_from.isoformat(),
                "inverse": rate.inverse,
            }
            for rate in value.rates
        ],
        "explanation": value.explanation,
        "checked_at": plain(value.checked_at),
    }


def hold(value: Hold, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": value.id,
        "legal_entity": value.legal_entity,
        "sales_order": value.sales_order,
        "customer": value.customer,
        "checkpoint": value.checkpoint.value,
        "posting": value.posting,
        "check_id": value.check_id,
        "status": value.status.value,
        "reason": value.reasons[0].reason.code.value
        if len(value.reasons) == 1
        else ("multiple" if value.reasons else None),
        "reasons": [reason(r.reason, r.valid) for r in value.reasons],
        "created_at": plain(value.created_at),
        "closed_at": plain(value.closed_at),
        "closed_by": value.closed_by,
        "release_reason": value.release_reason,
        "review_date": plain(value.review_date),
        "with_posting": value.with_posting,
        "reject_reason": value.reject_reason,
        "note": value.note,
        "ready_to_release": value.ready_to_release,
        "evaluated_at": plain(value.evaluated_at),
    }
    if history is not None:
        body["history"] = history
    return body


def customer(value: Customer) -> dict[str, Any]:
    c = value.credit
    return {
        "legal_entity": value.legal_entity,
        "account": value.account,
        "name": value.name,
        "currency": value.currency.code,
        "payment_terms": value.payment_terms,
        "settlement_discount": value.settlement_discount,
        "credit": {
            "limit": money(c.limit),
            "limit_expires_on": plain(c.limit_expires_on),
            "mandatory_limit": c.mandatory_limit,
            "unlimited_limit": c.unlimited_limit,
            "exclude": c.exclude,
            "account_status": c.account_status,
            "status_reason": c.status_reason,
            "credit_management_group": c.credit_management_group,
            "last_review_on": plain(c.last_review_on),
            "next_review_on": plain(c.next_review_on),
            "eligible_limit": money(c.eligible_limit),
            "business_started_on": plain(c.business_started_on),
            "customer_since": plain(c.customer_since),
            "country": c.country,
            "revenue": money(c.revenue),
            "notes": c.notes,
        },
        "credit_group": value.credit_group,
    }


def group(value: CreditGroup) -> dict[str, Any]:
    return {
        "id": value.id,
        "description": value.description,
        "limit": money(value.limit),
        "limit_expires_on": value.limit_expires_on.isoformat(),
    }


def parameters(value: CreditParameters) -> dict[str, Any]:
    return {
        "credit_management": value.credit_management,
        "credit_limit_type": value.credit_limit_type.value,
        "check_group_limits": value.check_group_limits,
        "allow_manual_limit_edit": value.allow_manual_limit_edit,
        "check_credit_limit_on_sales_order": value.check_credit_limit_on_sales_order,
        "check_payment_terms_increase": value.check_payment_terms_increase,
        "check_settlement_discount_increase": value.check_settlement_discount_increase,
        "skip_rules_after_release": value.skip_rules_after_release,
        "ignore_blank_expiry": value.ignore_blank_expiry,
        "auto_release_with_posting": value.auto_release_with_posting,
        "release_reason_ready": value.release_reason_ready,
        "release_reason_cancel": value.release_reason_cancel,
        "release_reason_modified": value.release_reason_modified,
        "exclude_intercompany_orders": value.exclude_intercompany_orders,
        "checkpoints": [
            {
                "checkpoint": row.checkpoint.value,
                "posting": row.posting,
                "pro_forma": row.pro_forma,
                "grace_days": row.grace_days,
            }
            for row in value.checkpoints
        ],
    }


def rule(value: BlockingRule) -> dict[str, Any]:
    return {
        "id": value.id,
        "rule": value.rule.value,
        "kind": value.kind.value,
        "valid_for": value.valid_for.value,
        "account_or_group": value.account_or_group,
        "risk_group": value.risk_group,
        "value_type": value.value_type.value if value.value_type else None,
        "value": str(value.value) if value.value is not None else None,
        "credit_limit_threshold": str(value.credit_limit_threshold)
        if value.credit_limit_threshold is not None
        else None,
        "account_status": value.account_status,
        "terms_of_payment": value.terms_of_payment,
        "release_sales_order": value.release_sales_order,
        "description": value.describe(),
    }
