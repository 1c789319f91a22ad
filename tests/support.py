"""Test builders and the API client used by the e2e tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from creditdesk.domain.money import Money, parse_money

ADMIN_TOKEN = "test-admin-token"


def money(text: str) -> Money:
    """``money("12.50 EUR")``"""
    return parse_money(text)


def m(text: str) -> dict[str, str]:
    """A money object for the API: ``m("12.50 EUR") == {"amount": "12.50", "currency": "EUR"}``."""
    value = parse_money(text)
    return {"amount": str(value.amount), "currency": value.currency.code}


class Api:
    """A TestClient that sends the admin token unless told otherwise."""

    def __init__(self, client: TestClient, token: str = ADMIN_TOKEN) -> None:
        self.client = client
        self.token = token

    def as_token(self, token: str) -> Api:
        return Api(self.client, token)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Response:
        return self.client.get(f"/api/v1{path}", params=params or None, headers=self._headers())

    def put(self, path: str, body: Any = None) -> Response:
        return self.client.put(f"/api/v1{path}", json=body, headers=self._headers())

    def post(self, path: str, body: Any = None) -> Response:
        return self.client.post(f"/api/v1{path}", json=body, headers=self._headers())

    def delete(self, path: str) -> Response:
        return self.client.delete(f"/api/v1{path}", headers=self._headers())

    # --- builders that speak the domain ----------------------------------------------------

    def legal_entity(self, le: str = "FI01", currency: str = "EUR") -> dict[str, Any]:
        r = self.put(f"/legal-entities/{le}", {"name": f"{le} Oy", "accounting_currency": currency})
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    def customer(self, le: str, account: str, limit: str | None = None, **credit: Any) -> None:
        body: dict[str, Any] = {"name": f"Customer {account}"}
        if "currency" in credit:
            body["currency"] = credit.pop("currency")
        body["credit"] = {"limit": m(limit) if limit is not None else None, **credit}
        r = self.put(f"/legal-entities/{le}/customers/{account}", body)
        assert r.status_code == 200, r.text

    def group(self, group_id: str, limit: str, expires: str = "2027-12-31") -> None:
        r = self.put(
            f"/credit-groups/{group_id}",
            {"description": group_id, "limit": m(limit), "limit_expires_on": expires},
        )
        assert r.status_code == 200, r.text

    def join(self, group_id: str, le: str, account: str) -> dict[str, Any]:
        r = self.put(f"/credit-groups/{group_id}/members/{le}/{account}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def order(self, le: str, order_id: str, customer: str, amount: str, **extra: Any) -> None:
        r = self.put(
            f"/legal-entities/{le}/sales-orders/{order_id}",
            {"customer": customer, "amount": m(amount), **extra},
        )
        assert r.status_code == 200, r.text

    def invoice(
        self,
        le: str,
        invoice_id: str,
        customer: str,
        amount: str,
        invoice_date: str = "2026-10-01",
        due_date: str = "2026-10-31",
        **extra: Any,
    ) -> None:
        r = self.post(
            f"/legal-entities/{le}/invoices",
            {
                "id": invoice_id,
                "customer": customer,
                "amount": m(amount),
                "invoice_date": invoice_date,
                "due_date": due_date,
                **extra,
            },
        )
        assert r.status_code == 201, r.text

    def rate(self, source: str, target: str, rate: str, valid_from: str = "2026-01-01") -> None:
        r = self.post(
            "/exchange-rates",
            {
                "from_currency": source,
                "to_currency": target,
                "rate": rate,
                "valid_from": valid_from,
            },
        )
        assert r.status_code == 201, r.text

    def check(
        self,
        le: str,
        order_id: str,
        checkpoint: str = "confirmation",
        posting: bool = True,
        as_of: str = "2026-11-23",
    ) -> dict[str, Any]:
        r = self.post(
            f"/legal-entities/{le}/sales-orders/{order_id}/credit-checks",
            {"checkpoint": checkpoint, "posting": posting, "as_of": as_of},
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    # --- more builders and readers ---------------------------------------------------------

    @staticmethod
    def problem(r: Response, status: int, code: str) -> dict[str, Any]:
        """Assert an RFC 9457 problem document with this status and stable code."""
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json"), r.headers
        body = dict(r.json())
        assert body["status"] == status, body
        assert body["code"] == code, body
        for field in ("type", "title", "detail"):
            assert body[field], body
        return body

    def credit(self, le: str, account: str, as_of: str | None = None) -> dict[str, Any]:
        """The credit summary of a customer."""
        params = {"as_of": as_of} if as_of is not None else {}
        r = self.get(f"/legal-entities/{le}/customers/{account}/credit", **params)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def exposure(self, le: str, account: str, as_of: str | None = None) -> dict[str, str]:
        """The exposure of the credit summary as ``{"balance": "12.50 EUR", ...}``."""
        parts = self.credit(le, account, as_of)["exposure"]
        return {name: f"{v['amount']} {v['currency']}" for name, v in parts.items()}

    def payment(
        self,
        le: str,
        payment_id: str,
        customer: str,
        amount: str,
        date: str = "2026-11-01",
        applies_to: dict[str, str] | None = None,
    ) -> None:
        r = self.post(
            f"/legal-entities/{le}/payments",
            {
                "id": payment_id,
                "customer": customer,
                "amount": m(amount),
                "date": date,
                "applies_to": [
                    {"invoice": invoice, "amount": m(applied)}
                    for invoice, applied in (applies_to or {}).items()
                ],
            },
        )
        assert r.status_code == 201, r.text

    def packing_slip(
        self, le: str, slip_id: str, order_id: str, amount: str, date: str = "2026-11-01"
    ) -> None:
        r = self.post(
            f"/legal-entities/{le}/packing-slips",
            {"id": slip_id, "sales_order": order_id, "amount": m(amount), "date": date},
        )
        assert r.status_code == 201, r.text

    def credit_parameters(self, le: str, **changes: Any) -> dict[str, Any]:
        r = self.put(f"/legal-entities/{le}/credit-parameters", changes)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def new_token(self, role: str, legal_entities: list[str] | None = None, name: str = "") -> str:
        """Create an API token and return its secret."""
        r = self.post(
            "/tokens",
            {"name": name or f"{role}-token", "role": role, "legal_entities": legal_entities},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["token"])

    def holds(self, **filters: Any) -> list[dict[str, Any]]:
        """Every hold the caller sees that matches the filters (first page)."""
        r = self.get("/credit-holds", **filters)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    # --- credit setup builders (reasons, statuses, groups, rules) and the hold workflow ------

    def reason(self, le: str, reason_id: str, type: str, description: str = "") -> None:
        r = self.put(
            f"/legal-entities/{le}/reasons/{reason_id}",
            {"type": type, "description": description or reason_id},
        )
        assert r.status_code == 200, r.text

    def account_status(self, le: str, status_id: str, on_hold: str = "none") -> None:
        r = self.put(
            f"/legal-entities/{le}/account-statuses/{status_id}",
            {"description": status_id, "on_hold": on_hold},
        )
        assert r.status_code == 200, r.text

    def cm_group(self, le: str, group_id: str) -> None:
        r = self.put(
            f"/legal-entities/{le}/credit-management-groups/{group_id}",
            {"description": group_id},
        )
        assert r.status_code == 200, r.text

    def rule(self, le: str, **body: Any) -> dict[str, Any]:
        """Add a blocking or exclusion rule and return it."""
        r = self.post(f"/legal-entities/{le}/blocking-rules", body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def rules(self, le: str) -> list[dict[str, Any]]:
        r = self.get(f"/legal-entities/{le}/blocking-rules")
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    def without_rules(self, le: str) -> None:
        """Delete every blocking rule of the legal entity (the default one included)."""
        for rule in self.rules(le):
            r = self.delete(f"/legal-entities/{le}/blocking-rules/{rule['id']}")
            assert r.status_code == 204, r.text

    def hold(self, hold_id: str) -> dict[str, Any]:
        r = self.get(f"/credit-holds/{hold_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def release(self, hold_id: str, **body: Any) -> dict[str, Any]:
        r = self.post(f"/credit-holds/{hold_id}/release", body)
        assert r.status_code == 200, r.text
        return dict(r.json())

    # --- credit limit lifecycle: journals, insurance, scoring, statistics --------------------

    def journal(self, le: str, type: str = "credit_limit", description: str = "") -> str:
        """Create a credit limit adjustment journal and return its number."""
        r = self.post(
            f"/legal-entities/{le}/credit-limit-journals",
            {"type": type, "description": description},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def journal_line(self, le: str, journal_id: str, **body: Any) -> Response:
        return self.post(f"/legal-entities/{le}/credit-limit-journals/{journal_id}/lines", body)

    def post_journal(self, le: str, journal_id: str) -> Response:
        return self.post(f"/legal-entities/{le}/credit-limit-journals/{journal_id}/post")

    def temporary_limit(
        self, le: str, account: str, limit: str, start: str, end: str
    ) -> dict[str, Any]:
        """Post a temporary credit limit journal with one customer line."""
        journal_id = self.journal(le, "temporary_credit_limit")
        r = self.journal_line(
            le, journal_id, customer=account, new_limit=m(limit), **{"from": start, "to": end}
        )
        assert r.status_code == 201, r.text
        r = self.post_journal(le, journal_id)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def insurance_policy(self, le: str, account: str, **body: Any) -> Response:
        defaults: dict[str, Any] = {
            "identifier": "insurance",
            "type": "BROKER",
            "insurer": "Vakuutus Oy",
            "coverage_type": None,
            "policy_number": "P-1",
            "effective": "2026-01-01",
            "expires": "2027-12-31",
            "value": m("50000.00 EUR"),
            "update_credit_limit_percent": "50",
            "included_in_exposure": False,
        }
        return self.post(
            f"/legal-entities/{le}/customers/{account}/insurance-policies", {**defaults, **body}
        )

    def derived(self, le: str, account: str) -> dict[str, Any]:
        r = self.get(f"/legal-entities/{le}/customers/{account}")
        assert r.status_code == 200, r.text
        return dict(r.json()["derived"])


class FixedClock:
    """A clock the test sets and moves by hand: ``runtime.clock = FixedClock("2025-03-01")``."""

    def __init__(self, day: str, hour: int = 9) -> None:
        self.at = datetime.combine(date.fromisoformat(day), time(hour), tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)

    def set_day(self, day: str, hour: int = 9) -> None:
        self.at = datetime.combine(date.fromisoformat(day), time(hour), tzinfo=UTC)
