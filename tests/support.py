"""Test builders and the API client used by the e2e tests."""

from __future__ import annotations

from dataclasses import dataclass
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


# --- one open hold of every reason code ------------------------------------------------------


@dataclass(frozen=True)
class ReasonHold:
    """An open hold built to carry ``code``, once per scope in ``scopes`` (none for the reasons
    that have no scope)."""

    code: str
    scopes: tuple[str, ...]
    hold_id: str
    customer: str
    sales_order: str


REASON_ENTITY = "RC01"
REASON_AS_OF = "2026-11-23"


def _reason_customer(api: Api, le: str, account: str, **body: Any) -> None:
    """A customer with its defaults (``payment_terms``, ``settlement_discount``) and its credit
    profile (every other field)."""
    payload: dict[str, Any] = {"name": f"Customer {account}"}
    for name in ("payment_terms", "settlement_discount"):
        if name in body:
            payload[name] = body.pop(name)
    payload["credit"] = body
    r = api.put(f"/legal-entities/{le}/customers/{account}", payload)
    assert r.status_code == 200, r.text


def hold_of_every_reason(api: Api, le: str = REASON_ENTITY) -> list[ReasonHold]:
    """A legal entity (EUR) where each of the eleven reason codes holds one order of its own
    customer, the credit limit reasons once per scope. Rules are valid for one customer each
    (``table``), so every hold carries exactly the reasons it was built for; the expired
    credit limit holds for both scopes on one order (the group's expiry is the member's).

    The figures the pages show: limit exceeded exposure 12,000 + order 2,900 over 10,000
    (individual: customer RC-CLI; group: RC-CLG in credit group RCGROUP); mandatory limit
    order 1,500; expired on 2026-01-31 with 5 grace days; an invoice 84 days overdue, 30
    allowed; overdue 4,000 over 3,000 allowed; account status RCSTOP; terms of payment COD;
    order 9,000 over 5,000 allowed; payment terms Net60 over Net14; settlement discount D5
    over D2; forced with hold reason RCFORCE."""
    api.legal_entity(le, "EUR")
    api.without_rules(le)
    api.reason(le, "RCFORCE", "hold", "Forced by the credit team")
    api.reason(le, "RCOK", "release", "Checked by phone")
    api.account_status(le, "RCSTOP")
    api.credit_parameters(
        le, check_payment_terms_increase=True, check_settlement_discount_increase=True
    )
    for terms, rank in (("Net14", 1), ("Net60", 2)):
        r = api.put(f"/legal-entities/{le}/payment-terms-ranks/{terms}", {"rank": rank})
        assert r.status_code == 200, r.text
    for code, rank in (("D2", 1), ("D5", 2)):
        r = api.put(f"/legal-entities/{le}/settlement-discount-ranks/{code}", {"rank": rank})
        assert r.status_code == 200, r.text
    roomy = m("100000.00 EUR")

    def only_for(account: str, **rule: Any) -> None:
        api.rule(le, valid_for="table", account_or_group=account, **rule)

    def not_overdue(account: str, invoice_id: str, amount: str) -> None:
        api.invoice(le, invoice_id, account, amount, "2026-11-01", "2026-12-31")

    # credit limit exceeded, individual and group: exposure 12,000 + order 2,900 > 10,000
    _reason_customer(api, le, "RC-CLI", limit=m("10000.00 EUR"), limit_expires_on="2027-12-31")
    not_overdue("RC-CLI", "RC-INV-CLI", "12000.00 EUR")
    only_for("RC-CLI", rule="credit_limit_used", value_type="percent", value="100")
    api.group("RCGROUP", "10000.00 EUR", "2027-12-31")
    _reason_customer(api, le, "RC-CLG", limit=roomy)
    api.join("RCGROUP", le, "RC-CLG")
    not_overdue("RC-CLG", "RC-INV-CLG", "12000.00 EUR")
    only_for("RC-CLG", rule="credit_limit_used", value_type="percent", value="100")
    # mandatory credit limit: no limit recorded, the order adds exposure
    _reason_customer(api, le, "RC-MAN", limit=None, mandatory_limit=True)
    only_for("RC-MAN", rule="credit_limit_used", value_type="percent", value="100")
    # credit limit expired (group and individual): expired on 2026-01-31, 5 grace days
    api.group("RCOLD", "50000.00 EUR", "2026-01-31")
    _reason_customer(api, le, "RC-EXP", limit=roomy, limit_expires_on="2026-01-31")
    api.join("RCOLD", le, "RC-EXP")
    only_for("RC-EXP", rule="credit_limit_expired", value_type="days", value="5")
    # days overdue: an invoice due 2026-08-31 is 84 days past due, 30 allowed
    _reason_customer(api, le, "RC-DAY", limit=roomy)
    api.invoice(le, "RC-INV-DAY", "RC-DAY", "700.00 EUR", "2026-08-01", "2026-08-31")
    only_for("RC-DAY", rule="days_overdue", value_type="days", value="30")
    # overdue amount: 4,000 overdue, 3,000 allowed, usage over 30 %
    _reason_customer(api, le, "RC-OVA", limit=m("20000.00 EUR"), limit_expires_on="2027-12-31")
    api.invoice(le, "RC-INV-OVA", "RC-OVA", "4000.00 EUR", "2026-09-01", "2026-10-01")
    only_for(
        "RC-OVA",
        rule="overdue_amount",
        value_type="percent",
        value="3000",
        credit_limit_threshold="30",
    )
    # account status
    _reason_customer(api, le, "RC-ACC", limit=roomy, account_status="RCSTOP")
    api.rule(le, rule="account_status", account_status="RCSTOP")  # no scope: all customers
    # terms of payment
    _reason_customer(api, le, "RC-TOP", limit=roomy)
    api.rule(le, rule="terms_of_payment", terms_of_payment="COD")  # no scope: all orders
    # sales order amount: 9,000 over 5,000
    _reason_customer(api, le, "RC-SOA", limit=roomy)
    only_for("RC-SOA", rule="sales_order_amount", value_type="amount", value="5000")
    # rankings: Net60 over the default Net14, D5 over the default D2
    _reason_customer(api, le, "RC-PTI", limit=roomy, payment_terms="Net14")
    _reason_customer(api, le, "RC-SDI", limit=roomy, settlement_discount="D2")
    # forced
    _reason_customer(api, le, "RC-FRC", limit=roomy)

    cases: tuple[tuple[str, tuple[str, ...], str, str, dict[str, str]], ...] = (
        ("credit_limit_exceeded", ("individual",), "RC-CLI", "2900.00", {}),
        ("credit_limit_exceeded", ("group",), "RC-CLG", "2900.00", {}),
        ("mandatory_credit_limit", ("individual",), "RC-MAN", "1500.00", {}),
        ("credit_limit_expired", ("group", "individual"), "RC-EXP", "100.00", {}),
        ("days_overdue", (), "RC-DAY", "100.00", {}),
        ("overdue_amount", (), "RC-OVA", "4000.00", {}),
        ("account_status", (), "RC-ACC", "100.00", {}),
        ("terms_of_payment", (), "RC-TOP", "100.00", {"payment_terms": "COD"}),
        ("sales_order_amount", (), "RC-SOA", "9000.00", {}),
        ("payment_terms_increased", (), "RC-PTI", "100.00", {"payment_terms": "Net60"}),
        ("settlement_discount_increased", (), "RC-SDI", "100.00", {"settlement_discount": "D5"}),
    )
    result = []
    for code, scopes, account, amount, extra in cases:
        order_id = f"SO-{account}"
        api.order(le, order_id, account, f"{amount} EUR", **extra)
        decision = api.check(le, order_id, as_of=REASON_AS_OF)
        assert decision["decision"] == "on_hold", decision
        found = [(r["code"], r["scope"]) for r in decision["reasons"]]
        assert found == [(code, s) for s in scopes or (None,)], found
        result.append(ReasonHold(code, scopes, decision["hold"]["id"], account, order_id))
    api.order(le, "SO-RC-FRC", "RC-FRC", "100.00 EUR")
    r = api.post(f"/legal-entities/{le}/sales-orders/SO-RC-FRC/force-hold", {"reason": "RCFORCE"})
    assert r.status_code == 201, r.text
    result.append(ReasonHold("forced", (), r.json()["id"], "RC-FRC", "SO-RC-FRC"))
    return result
