"""Bad input through the HTTP API: every refusal is an RFC 9457 problem document with a stable
``code``, and a refused request changes nothing (read back through the credit summary or a
GET of the resource)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, m

BEFORE = {
    "balance": "1000.00 EUR",
    "packing_slips": "0.00 EUR",
    "open_orders": "500.00 EUR",
    "total": "1500.00 EUR",
}


@pytest.fixture
def fi(api: Api) -> Api:
    """FI01 (EUR) with C100 (limit 10,000.00 EUR), an invoice of 1,000.00 and an order of
    500.00; C200 with nothing."""
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "10000.00 EUR")
    api.customer("FI01", "C200", "10000.00 EUR")
    api.invoice("FI01", "INV-1", "C100", "1000.00 EUR")
    api.order("FI01", "SO-1", "C100", "500.00 EUR")
    assert api.exposure("FI01", "C100") == BEFORE
    return api


def invoice_body(amount: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": "INV-2",
        "customer": "C100",
        "amount": amount,
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
        **extra,
    }


def no_invoice_2(api: Api) -> None:
    """INV-2 was not stored: posting it now with a sound body creates it (201)."""
    assert api.exposure("FI01", "C100") == BEFORE
    r = api.post("/legal-entities/FI01/invoices", invoice_body(m("1.00 EUR")))
    assert r.status_code == 201, r.text


# --- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [100, 100.5, ["100.00"], {"value": "100.00"}, None, True])
def test_money_amount_that_is_not_a_json_string_is_refused_and_changes_nothing(
    fi: Api, amount: Any
) -> None:
    r = fi.post(
        "/legal-entities/FI01/invoices", invoice_body({"amount": amount, "currency": "EUR"})
    )

    body = Api.problem(r, 422, "invalid_amount")
    assert body["errors"][0]["loc"][-1] == "amount"
    no_invoice_2(fi)


def test_sales_order_amount_sent_as_a_json_number_is_refused_and_no_order_is_stored(
    fi: Api,
) -> None:
    r = fi.put(
        "/legal-entities/FI01/sales-orders/SO-2",
        {"customer": "C100", "amount": {"amount": 250, "currency": "EUR"}},
    )

    Api.problem(r, 422, "invalid_amount")
    Api.problem(fi.get("/legal-entities/FI01/sales-orders/SO-2"), 404, "sales_order_not_found")
    assert fi.exposure("FI01", "C100") == BEFORE


def test_customer_limit_sent_as_a_json_number_is_refused_and_the_limit_stays(fi: Api) -> None:
    r = fi.put(
        "/legal-entities/FI01/customers/C100",
        {"name": "Customer C100", "credit": {"limit": {"amount": 5, "currency": "EUR"}}},
    )

    Api.problem(r, 422, "invalid_amount")
    customer = fi.get("/legal-entities/FI01/customers/C100").json()
    assert customer["credit"]["limit"] == m("10000.00 EUR")


@pytest.mark.parametrize(
    ("amount", "code"),
    [("10.005", "EUR"), ("10.5", "JPY"), ("1.0005", "KWD"), ("0.001", "EUR")],
)
def test_amount_with_more_decimals_than_the_currency_allows_is_refused(
    fi: Api, amount: str, code: str
) -> None:
    r = fi.post("/legal-entities/FI01/invoices", invoice_body({"amount": amount, "currency": code}))

    Api.problem(r, 422, "invalid_amount")
    no_invoice_2(fi)


@pytest.mark.parametrize("amount", ["1e3", "1,000.00", "ten", "", " 10.00", "0x10", "NaN"])
def test_amount_that_is_not_a_plain_decimal_is_refused(fi: Api, amount: str) -> None:
    r = fi.post(
        "/legal-entities/FI01/invoices", invoice_body({"amount": amount, "currency": "EUR"})
    )

    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] in {"invalid_amount", "validation_error"}
    no_invoice_2(fi)


def test_amount_without_decimals_is_read_at_the_minor_unit_of_its_currency(fi: Api) -> None:
    r = fi.post("/legal-entities/FI01/invoices", invoice_body({"amount": "10", "currency": "EUR"}))

    assert r.status_code == 201, r.text
    assert r.json()["amount"] == {"amount": "10.00", "currency": "EUR"}
    assert fi.exposure("FI01", "C100")["balance"] == "1010.00 EUR"


def test_yen_amounts_have_no_decimals_and_kuwaiti_dinars_three(fi: Api) -> None:
    fi.rate("JPY", "EUR", "0.0060")
    fi.rate("KWD", "EUR", "3.000")
    jpy = fi.post(
        "/legal-entities/FI01/invoices",
        invoice_body({"amount": "1000", "currency": "JPY"}, id="INV-JPY"),
    )
    kwd = fi.post(
        "/legal-entities/FI01/invoices",
        invoice_body({"amount": "1.5", "currency": "KWD"}, id="INV-KWD"),
    )

    assert jpy.status_code == 201, jpy.text
    assert jpy.json()["amount"] == {"amount": "1000", "currency": "JPY"}
    assert kwd.status_code == 201, kwd.text
    assert kwd.json()["amount"] == {"amount": "1.500", "currency": "KWD"}
    # 1000 JPY × 0.0060 = 6.00 EUR; 1.500 KWD × 3 = 4.50 EUR
    assert fi.exposure("FI01", "C100")["balance"] == "1010.50 EUR"


@pytest.mark.parametrize("code", ["ABC", "eur", "XXY"])
def test_unknown_currency_code_is_refused_and_changes_nothing(fi: Api, code: str) -> None:
    r = fi.post(
        "/legal-entities/FI01/invoices", invoice_body({"amount": "10.00", "currency": code})
    )

    Api.problem(r, 422, "unknown_currency")
    no_invoice_2(fi)


def test_legal_entity_with_an_unknown_accounting_currency_is_not_created(api: Api) -> None:
    r = api.put("/legal-entities/XX01", {"name": "Nowhere Oy", "accounting_currency": "ABC"})

    Api.problem(r, 422, "unknown_currency")
    Api.problem(api.get("/legal-entities/XX01"), 404, "legal_entity_not_found")


def test_customer_in_an_unknown_currency_is_not_created(fi: Api) -> None:
    r = fi.put("/legal-entities/FI01/customers/C300", {"name": "C300", "currency": "ABC"})

    Api.problem(r, 422, "unknown_currency")
    Api.problem(fi.get("/legal-entities/FI01/customers/C300"), 404, "customer_not_found")


def test_exchange_rate_with_an_unknown_currency_is_not_stored(fi: Api) -> None:
    r = fi.post(
        "/exchange-rates",
        {"from_currency": "ABC", "to_currency": "EUR", "rate": "1.5", "valid_from": "2026-01-01"},
    )

    Api.problem(r, 422, "unknown_currency")
    assert fi.get("/exchange-rates").json()["items"] == []


@pytest.mark.parametrize("rate", [1.5, "0", "-1.2", "abc"])
def test_exchange_rate_that_is_not_a_positive_decimal_string_is_refused(fi: Api, rate: Any) -> None:
    r = fi.post(
        "/exchange-rates",
        {"from_currency": "NOK", "to_currency": "EUR", "rate": rate, "valid_from": "2026-01-01"},
    )

    assert r.status_code == 422, r.text
    assert r.json()["code"] in {"invalid_rate", "invalid_number"}
    assert fi.get("/exchange-rates").json()["items"] == []


# --- amounts and dates --------------------------------------------------------------------------


def test_negative_sales_order_amount_is_refused_and_no_order_is_stored(fi: Api) -> None:
    r = fi.put(
        "/legal-entities/FI01/sales-orders/SO-2", {"customer": "C100", "amount": m("-1.00 EUR")}
    )

    Api.problem(r, 422, "negative_amount")
    Api.problem(fi.get("/legal-entities/FI01/sales-orders/SO-2"), 404, "sales_order_not_found")
    assert fi.exposure("FI01", "C100") == BEFORE


def test_negative_amount_on_an_existing_order_leaves_the_order_as_it_was(fi: Api) -> None:
    r = fi.put(
        "/legal-entities/FI01/sales-orders/SO-1", {"customer": "C100", "amount": m("-500.00 EUR")}
    )

    Api.problem(r, 422, "negative_amount")
    order = fi.get("/legal-entities/FI01/sales-orders/SO-1").json()
    assert order["amount"] == m("500.00 EUR")
    assert fi.exposure("FI01", "C100") == BEFORE


@pytest.mark.parametrize("path", ["invoices", "payments"])
def test_negative_invoice_or_payment_amount_is_refused(fi: Api, path: str) -> None:
    body: dict[str, Any] = {"id": "DOC-1", "customer": "C100", "amount": m("-10.00 EUR")}
    if path == "invoices":
        body |= {"invoice_date": "2026-10-01", "due_date": "2026-10-31"}
    else:
        body |= {"date": "2026-10-01"}

    Api.problem(fi.post(f"/legal-entities/FI01/{path}", body), 422, "negative_amount")
    assert fi.exposure("FI01", "C100") == BEFORE


def test_due_date_before_the_invoice_date_is_refused_and_changes_nothing(fi: Api) -> None:
    r = fi.post(
        "/legal-entities/FI01/invoices",
        invoice_body(m("100.00 EUR"), invoice_date="2026-10-01", due_date="2026-09-30"),
    )

    Api.problem(r, 422, "invalid_due_date")
    no_invoice_2(fi)


def test_due_date_on_the_invoice_date_is_accepted(fi: Api) -> None:
    r = fi.post(
        "/legal-entities/FI01/invoices",
        invoice_body(m("100.00 EUR"), invoice_date="2026-10-01", due_date="2026-10-01"),
    )

    assert r.status_code == 201, r.text


@pytest.mark.parametrize("value", ["2026-13-01", "01.10.2026", "2026-10-1", 20261001])
def test_date_that_is_not_an_iso_calendar_date_is_refused(fi: Api, value: Any) -> None:
    r = fi.post("/legal-entities/FI01/invoices", invoice_body(m("100.00 EUR"), invoice_date=value))

    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    no_invoice_2(fi)


# --- unknown resources --------------------------------------------------------------------------


def test_invoice_for_an_unknown_customer_is_refused_with_404_and_changes_nothing(fi: Api) -> None:
    r = fi.post("/legal-entities/FI01/invoices", invoice_body(m("100.00 EUR"), customer="NOBODY"))

    body = Api.problem(r, 404, "customer_not_found")
    assert body["details"]["account"] == "NOBODY"
    no_invoice_2(fi)


def test_sales_order_for_an_unknown_customer_is_refused_with_404(fi: Api) -> None:
    r = fi.put(
        "/legal-entities/FI01/sales-orders/SO-2", {"customer": "NOBODY", "amount": m("1.00 EUR")}
    )

    Api.problem(r, 404, "customer_not_found")
    Api.problem(fi.get("/legal-entities/FI01/sales-orders/SO-2"), 404, "sales_order_not_found")


def test_payment_for_an_unknown_customer_is_refused_with_404(fi: Api) -> None:
    r = fi.post(
        "/legal-entities/FI01/payments",
        {"id": "PAY-1", "customer": "NOBODY", "amount": m("1.00 EUR"), "date": "2026-11-01"},
    )

    Api.problem(r, 404, "customer_not_found")
    assert fi.exposure("FI01", "C100") == BEFORE


@pytest.mark.parametrize(
    "path",
    [
        "/legal-entities/FI01/customers/NOBODY",
        "/legal-entities/FI01/customers/NOBODY/credit",
        "/legal-entities/FI01/customers/NOBODY/aged-balances",
    ],
)
def test_reading_an_unknown_customer_answers_404(fi: Api, path: str) -> None:
    Api.problem(fi.get(path), 404, "customer_not_found")


def test_documents_for_an_unknown_legal_entity_are_refused_with_404(fi: Api) -> None:
    r = fi.post("/legal-entities/XX01/invoices", invoice_body(m("100.00 EUR")))
    Api.problem(r, 404, "legal_entity_not_found")
    r = fi.put("/legal-entities/XX01/customers/C100", {"name": "C100"})
    Api.problem(r, 404, "legal_entity_not_found")
    r = fi.put("/legal-entities/XX01/sales-orders/SO-1", {"customer": "C100", "amount": m("1 EUR")})
    Api.problem(r, 404, "legal_entity_not_found")

    Api.problem(fi.get("/legal-entities/XX01"), 404, "legal_entity_not_found")
    Api.problem(fi.get("/legal-entities/XX01/customers/C100"), 404, "legal_entity_not_found")
    Api.problem(fi.get("/legal-entities/XX01/credit-parameters"), 404, "legal_entity_not_found")
    assert [le["id"] for le in fi.get("/legal-entities").json()["items"]] == ["FI01"]


def test_joining_an_unknown_group_is_refused_with_404_and_the_customer_stays_outside(
    fi: Api,
) -> None:
    r = fi.put("/credit-groups/NOGROUP/members/FI01/C100")

    Api.problem(r, 404, "credit_group_not_found")
    Api.problem(fi.get("/credit-groups/NOGROUP"), 404, "credit_group_not_found")
    assert fi.credit("FI01", "C100")["group"] is None
    assert fi.get("/legal-entities/FI01/customers/C100").json()["credit_group"] is None


def test_joining_a_group_as_an_unknown_customer_is_refused_with_404(fi: Api) -> None:
    fi.group("G1", "15000.00 EUR")

    Api.problem(fi.put("/credit-groups/G1/members/FI01/NOBODY"), 404, "customer_not_found")
    Api.problem(fi.put("/credit-groups/G1/members/XX01/C100"), 404, "legal_entity_not_found")
    assert fi.get("/credit-groups/G1").json()["members"] == []


def test_customer_already_in_another_group_is_refused_with_409_and_stays_where_it_was(
    fi: Api,
) -> None:
    fi.group("G1", "15000.00 EUR", expires="2026-12-31")
    fi.group("G2", "50000.00 EUR", expires="2027-06-30")
    fi.join("G1", "FI01", "C100")

    r = fi.put("/credit-groups/G2/members/FI01/C100")

    body = Api.problem(r, 409, "already_in_group")
    assert body["details"]["group"] == "G1"
    assert fi.get("/credit-groups/G2").json()["members"] == []
    summary = fi.credit("FI01", "C100")
    assert summary["group"]["id"] == "G1"
    assert summary["limit_expires_on"] == "2026-12-31"
    assert summary["group"]["exposure"] == m("1500.00 EUR")


def test_group_without_an_expiration_date_is_refused_and_not_created(fi: Api) -> None:
    r = fi.put("/credit-groups/G1", {"description": "no expiry", "limit": m("15000.00 EUR")})

    Api.problem(r, 422, "expiration_date_required")
    Api.problem(fi.get("/credit-groups/G1"), 404, "credit_group_not_found")


def test_group_update_without_an_expiration_date_keeps_the_stored_group(fi: Api) -> None:
    fi.group("G1", "15000.00 EUR", expires="2026-12-31")

    r = fi.put(
        "/credit-groups/G1",
        {"description": "G1", "limit": m("99999.00 EUR"), "limit_expires_on": None},
    )

    Api.problem(r, 422, "expiration_date_required")
    group = fi.get("/credit-groups/G1").json()
    assert group["limit"] == m("15000.00 EUR")
    assert group["limit_expires_on"] == "2026-12-31"


# --- payments -----------------------------------------------------------------------------------


def test_payment_applied_to_another_customers_invoice_is_refused_and_changes_nothing(
    fi: Api,
) -> None:
    fi.invoice("FI01", "INV-200", "C200", "300.00 EUR")
    body = {
        "id": "PAY-1",
        "customer": "C100",
        "amount": m("300.00 EUR"),
        "date": "2026-11-01",
        "applies_to": [{"invoice": "INV-200", "amount": m("300.00 EUR")}],
    }

    r = fi.post("/legal-entities/FI01/payments", body)

    problem = Api.problem(r, 422, "invoice_customer_mismatch")
    assert problem["details"]["invoice"] == "INV-200"
    assert fi.exposure("FI01", "C100") == BEFORE
    assert fi.exposure("FI01", "C200")["balance"] == "300.00 EUR"
    aged = fi.get("/legal-entities/FI01/customers/C200/aged-balances", as_of="2026-10-15").json()
    assert aged["total"] == m("300.00 EUR")
    # nothing of PAY-1 was kept: the id is still free
    fi.payment("FI01", "PAY-1", "C200", "300.00 EUR", applies_to={"INV-200": "300.00 EUR"})
    assert fi.exposure("FI01", "C200")["balance"] == "0.00 EUR"


def test_payment_applied_to_an_unknown_invoice_is_refused_with_404(fi: Api) -> None:
    r = fi.post(
        "/legal-entities/FI01/payments",
        {
            "id": "PAY-1",
            "customer": "C100",
            "amount": m("10.00 EUR"),
            "date": "2026-11-01",
            "applies_to": [{"invoice": "NO-SUCH", "amount": m("10.00 EUR")}],
        },
    )

    Api.problem(r, 404, "invoice_not_found")
    assert fi.exposure("FI01", "C100") == BEFORE


def test_payment_applying_more_than_it_pays_or_than_is_open_is_refused(fi: Api) -> None:
    over_payment = {
        "id": "PAY-1",
        "customer": "C100",
        "amount": m("10.00 EUR"),
        "date": "2026-11-01",
        "applies_to": [{"invoice": "INV-1", "amount": m("20.00 EUR")}],
    }
    over_invoice = over_payment | {
        "amount": m("2000.00 EUR"),
        "applies_to": [{"invoice": "INV-1", "amount": m("1000.01 EUR")}],
    }

    Api.problem(fi.post("/legal-entities/FI01/payments", over_payment), 422, "payment_overapplied")
    Api.problem(fi.post("/legal-entities/FI01/payments", over_invoice), 422, "payment_overapplied")
    assert fi.exposure("FI01", "C100") == BEFORE


# --- duplicate documents ------------------------------------------------------------------------


def test_invoice_id_reused_with_a_different_body_is_a_conflict_and_changes_nothing(
    fi: Api,
) -> None:
    r = fi.post(
        "/legal-entities/FI01/invoices",
        invoice_body(m("999.00 EUR"), id="INV-1"),
    )

    body = Api.problem(r, 409, "duplicate_document")
    assert body["details"]["id"] == "INV-1"
    assert fi.exposure("FI01", "C100") == BEFORE
    aged = fi.get("/legal-entities/FI01/customers/C100/aged-balances", as_of="2026-10-15").json()
    assert aged["total"] == m("1000.00 EUR")


@pytest.mark.parametrize(
    "change",
    [
        {"customer": "C200"},
        {"due_date": "2026-11-30"},
        {"invoice_date": "2026-09-30"},
        {"kind": "credit_note"},
        {"sales_order": "SO-1"},
    ],
)
def test_invoice_id_reused_with_any_field_changed_is_a_conflict(
    fi: Api, change: dict[str, str]
) -> None:
    r = fi.post(
        "/legal-entities/FI01/invoices", invoice_body(m("1000.00 EUR"), id="INV-1") | change
    )

    Api.problem(r, 409, "duplicate_document")
    assert fi.exposure("FI01", "C100") == BEFORE
    assert fi.exposure("FI01", "C200")["total"] == "0.00 EUR"


def test_payment_id_reused_with_a_different_body_is_a_conflict_and_changes_nothing(
    fi: Api,
) -> None:
    fi.payment("FI01", "PAY-1", "C100", "100.00 EUR", applies_to={"INV-1": "100.00 EUR"})
    after_payment = BEFORE | {"balance": "900.00 EUR", "total": "1400.00 EUR"}
    assert fi.exposure("FI01", "C100") == after_payment

    changes: list[dict[str, Any]] = [
        {"amount": m("200.00 EUR"), "applies_to": [{"invoice": "INV-1", "amount": m("200 EUR")}]},
        {"applies_to": []},
        {"date": "2026-11-02"},
    ]
    for change in changes:
        body = {
            "id": "PAY-1",
            "customer": "C100",
            "amount": m("100.00 EUR"),
            "date": "2026-11-01",
            "applies_to": [{"invoice": "INV-1", "amount": m("100.00 EUR")}],
        } | change
        Api.problem(fi.post("/legal-entities/FI01/payments", body), 409, "duplicate_document")

    assert fi.exposure("FI01", "C100") == after_payment
    aged = fi.get("/legal-entities/FI01/customers/C100/aged-balances", as_of="2026-10-15").json()
    assert aged["total"] == m("900.00 EUR")


def test_packing_slip_id_reused_with_a_different_body_is_a_conflict_and_changes_nothing(
    fi: Api,
) -> None:
    fi.packing_slip("FI01", "PS-1", "SO-1", "200.00 EUR")
    after_slip = BEFORE | {"packing_slips": "200.00 EUR", "open_orders": "300.00 EUR"}
    assert fi.exposure("FI01", "C100") == after_slip

    r = fi.post(
        "/legal-entities/FI01/packing-slips",
        {"id": "PS-1", "sales_order": "SO-1", "amount": m("250.00 EUR"), "date": "2026-11-01"},
    )

    Api.problem(r, 409, "duplicate_document")
    assert fi.exposure("FI01", "C100") == after_slip
    order = fi.get("/legal-entities/FI01/sales-orders/SO-1").json()
    assert order["amount"] == m("300.00 EUR")
    assert order["packing_slips"] == m("200.00 EUR")


def test_packing_slip_for_an_unknown_sales_order_is_refused_with_404(fi: Api) -> None:
    r = fi.post(
        "/legal-entities/FI01/packing-slips",
        {"id": "PS-1", "sales_order": "NO-SUCH", "amount": m("1.00 EUR"), "date": "2026-11-01"},
    )

    Api.problem(r, 404, "sales_order_not_found")
    assert fi.exposure("FI01", "C100") == BEFORE


def test_same_document_id_in_another_legal_entity_is_a_different_document(fi: Api) -> None:
    fi.legal_entity("NO01", "NOK")
    fi.customer("NO01", "C100", "100000.00 NOK")

    fi.invoice("NO01", "INV-1", "C100", "5000.00 NOK")

    assert fi.exposure("NO01", "C100")["balance"] == "5000.00 NOK"
    assert fi.exposure("FI01", "C100") == BEFORE


# --- request shape ------------------------------------------------------------------------------


def test_unknown_fields_and_broken_json_are_problem_documents(fi: Api) -> None:
    r = fi.post("/legal-entities/FI01/invoices", invoice_body(m("1.00 EUR"), colour="blue"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["body", "colour"]

    broken = fi.client.post(
        "/api/v1/legal-entities/FI01/invoices",
        content=b'{"id": "INV-2", ',
        headers={"Authorization": "Bearer test-admin-token", "Content-Type": "application/json"},
    )
    Api.problem(broken, 422, "invalid_json")
    no_invoice_2(fi)


def test_missing_exchange_rate_at_check_time_answers_422_and_records_no_decision_or_hold(
    fi: Api,
) -> None:
    fi.customer("FI01", "C300", "100.00 EUR", currency="NOK")
    fi.order("FI01", "SO-NOK", "C300", "5000.00 NOK")

    r = fi.post(
        "/legal-entities/FI01/sales-orders/SO-NOK/credit-checks",
        {"checkpoint": "confirmation", "posting": True, "as_of": "2026-11-23"},
    )

    body = Api.problem(r, 422, "exchange_rate_missing")
    assert body["details"]["from_currency"] == "NOK"
    assert body["details"]["to_currency"] == "EUR"
    assert fi.get("/legal-entities/FI01/customers/C300/credit-checks").json()["items"] == []
    assert fi.holds() == []
    # with the rate in place the same order is checked and held (5,000 NOK × 0.085 = 425 EUR)
    fi.rate("NOK", "EUR", "0.0850")
    decision = fi.check("FI01", "SO-NOK")
    assert decision["decision"] == "on_hold"
    assert len(fi.holds()) == 1


def test_missing_rate_for_a_group_in_another_currency_records_nothing(fi: Api) -> None:
    fi.group("G1", "100000.00 SEK")
    fi.join("G1", "FI01", "C100")

    r = fi.post(
        "/legal-entities/FI01/sales-orders/SO-1/credit-checks",
        {"checkpoint": "confirmation", "posting": True, "as_of": "2026-11-23"},
    )

    Api.problem(r, 422, "exchange_rate_missing")
    assert fi.get("/legal-entities/FI01/customers/C100/credit-checks").json()["items"] == []
    assert fi.holds() == []


def test_checking_an_unknown_order_or_in_an_unknown_legal_entity_answers_404(fi: Api) -> None:
    check = {"checkpoint": "confirmation", "posting": True, "as_of": "2026-11-23"}

    r = fi.post("/legal-entities/FI01/sales-orders/NO-SUCH/credit-checks", check)
    Api.problem(r, 404, "sales_order_not_found")
    r = fi.post("/legal-entities/XX01/sales-orders/SO-1/credit-checks", check)
    Api.problem(r, 404, "legal_entity_not_found")
    Api.problem(fi.get("/credit-checks/chk_nope"), 404, "credit_check_not_found")
    assert fi.get("/legal-entities/FI01/customers/C100/credit-checks").json()["items"] == []
    assert fi.holds() == []


@pytest.mark.parametrize(
    "body",
    [
        {"checkpoint": "shipping", "posting": True},
        {"checkpoint": "confirmation", "posting": "yes"},
        {"checkpoint": "confirmation", "as_of": "23.11.2026"},
        {},
    ],
)
def test_a_malformed_check_request_is_refused_and_records_nothing(
    fi: Api, body: dict[str, Any]
) -> None:
    r = fi.post("/legal-entities/FI01/sales-orders/SO-1/credit-checks", body)

    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert fi.get("/legal-entities/FI01/customers/C100/credit-checks").json()["items"] == []
