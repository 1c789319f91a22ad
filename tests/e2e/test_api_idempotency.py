"""Idempotency of the documents the ERP pushes: a POST with an id answers 201 the first time
and 200 with the stored resource after that, counting in exposure once; a PUT can be repeated."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, m


@pytest.fixture
def fi(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "10000.00 EUR")
    return api


def invoice(**extra: Any) -> dict[str, Any]:
    return {
        "id": "INV-1",
        "customer": "C100",
        "amount": m("1000.00 EUR"),
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
        **extra,
    }


def test_the_same_invoice_posted_twice_is_stored_and_counted_once(fi: Api) -> None:
    first = fi.post("/legal-entities/FI01/invoices", invoice())
    second = fi.post("/legal-entities/FI01/invoices", invoice())

    assert first.status_code == 201, first.text
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert first.json()["open_amount"] == m("1000.00 EUR")
    assert fi.exposure("FI01", "C100")["balance"] == "1000.00 EUR"


def test_an_invoice_repeated_with_the_same_amount_written_differently_is_the_same_body(
    fi: Api,
) -> None:
    first = fi.post("/legal-entities/FI01/invoices", invoice(amount=m("1000.00 EUR")))
    second = fi.post(
        "/legal-entities/FI01/invoices",
        invoice(amount={"amount": "1000", "currency": "EUR"}, kind="invoice", sales_order=None),
    )

    assert (first.status_code, second.status_code) == (201, 200)
    assert fi.exposure("FI01", "C100")["balance"] == "1000.00 EUR"


def test_a_repeated_invoice_answers_with_the_stored_resource_as_it_is_now(fi: Api) -> None:
    first = fi.post("/legal-entities/FI01/invoices", invoice())
    fi.payment("FI01", "PAY-1", "C100", "400.00 EUR", applies_to={"INV-1": "400.00 EUR"})

    again = fi.post("/legal-entities/FI01/invoices", invoice())

    assert again.status_code == 200
    assert again.json() == first.json() | {"open_amount": m("600.00 EUR")}
    assert fi.exposure("FI01", "C100")["balance"] == "600.00 EUR"


def test_the_same_credit_note_posted_twice_is_counted_once(fi: Api) -> None:
    fi.invoice("FI01", "INV-0", "C100", "1000.00 EUR")
    body = invoice(id="CN-1", kind="credit_note", amount=m("250.00 EUR"))

    first = fi.post("/legal-entities/FI01/invoices", body)
    second = fi.post("/legal-entities/FI01/invoices", body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert fi.exposure("FI01", "C100")["balance"] == "750.00 EUR"


def test_the_same_payment_posted_twice_is_counted_once(fi: Api) -> None:
    fi.post("/legal-entities/FI01/invoices", invoice())
    body = {
        "id": "PAY-1",
        "customer": "C100",
        "amount": m("300.00 EUR"),
        "date": "2026-11-01",
        "applies_to": [{"invoice": "INV-1", "amount": m("200.00 EUR")}],
    }

    first = fi.post("/legal-entities/FI01/payments", body)
    second = fi.post("/legal-entities/FI01/payments", body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert first.json()["unapplied"] == m("100.00 EUR")
    assert fi.exposure("FI01", "C100")["balance"] == "700.00 EUR"
    aged = fi.get("/legal-entities/FI01/customers/C100/aged-balances", as_of="2026-10-15").json()
    assert aged["total"] == m("800.00 EUR")  # the invoice was closed by 200.00 once


def test_the_same_packing_slip_posted_twice_moves_the_order_once(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "500.00 EUR")
    body = {"id": "PS-1", "sales_order": "SO-1", "amount": m("200.00 EUR"), "date": "2026-11-01"}

    first = fi.post("/legal-entities/FI01/packing-slips", body)
    second = fi.post("/legal-entities/FI01/packing-slips", body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert fi.exposure("FI01", "C100") == {
        "balance": "0.00 EUR",
        "packing_slips": "200.00 EUR",
        "open_orders": "300.00 EUR",
        "total": "500.00 EUR",
    }
    order = fi.get("/legal-entities/FI01/sales-orders/SO-1").json()
    assert order["amount"] == m("300.00 EUR")
    assert order["packing_slips"] == m("200.00 EUR")


def test_the_same_invoice_of_a_sales_order_posted_twice_moves_the_order_once(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "1000.00 EUR")
    body = invoice(amount=m("400.00 EUR"), sales_order="SO-1")

    first = fi.post("/legal-entities/FI01/invoices", body)
    second = fi.post("/legal-entities/FI01/invoices", body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert fi.exposure("FI01", "C100") == {
        "balance": "400.00 EUR",
        "packing_slips": "0.00 EUR",
        "open_orders": "600.00 EUR",
        "total": "1000.00 EUR",
    }


def test_a_repeated_sales_order_put_is_harmless(fi: Api) -> None:
    body = {"customer": "C100", "amount": m("500.00 EUR"), "payment_terms": "Net30"}

    first = fi.put("/legal-entities/FI01/sales-orders/SO-1", body)
    second = fi.put("/legal-entities/FI01/sales-orders/SO-1", body)
    third = fi.put("/legal-entities/FI01/sales-orders/SO-1", body)

    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert second.json() == first.json() == third.json()
    assert fi.exposure("FI01", "C100")["open_orders"] == "500.00 EUR"


def test_a_sales_order_put_with_a_new_amount_replaces_the_old_one(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "500.00 EUR")
    fi.order("FI01", "SO-1", "C100", "700.00 EUR")
    fi.order("FI01", "SO-1", "C100", "650.00 EUR")

    assert fi.exposure("FI01", "C100")["open_orders"] == "650.00 EUR"
    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["amount"] == m("650.00 EUR")


def test_repeating_an_original_order_body_after_a_packing_slip_changes_nothing(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "500.00 EUR")
    fi.packing_slip("FI01", "PS-1", "SO-1", "200.00 EUR")

    fi.order("FI01", "SO-1", "C100", "500.00 EUR")

    assert fi.exposure("FI01", "C100")["open_orders"] == "300.00 EUR"
    assert fi.exposure("FI01", "C100")["packing_slips"] == "200.00 EUR"


def test_a_repeated_legal_entity_put_keeps_its_setup_and_answers_200(api: Api) -> None:
    first = api.put("/legal-entities/FI01", {"name": "FI01 Oy", "accounting_currency": "EUR"})
    second = api.put("/legal-entities/FI01", {"name": "FI01 Oy", "accounting_currency": "EUR"})

    assert (first.status_code, second.status_code) == (201, 200)
    assert len(api.get("/legal-entities/FI01/blocking-rules").json()["items"]) == 1
    reasons = api.get("/legal-entities/FI01/reasons").json()["items"]
    assert sorted(r["id"] for r in reasons) == ["AUTO", "CANCELED", "MODIFIED"]


def test_a_legal_entity_keeps_its_accounting_currency(api: Api) -> None:
    api.legal_entity("FI01", "EUR")

    r = api.put("/legal-entities/FI01", {"name": "FI01 Oy", "accounting_currency": "SEK"})

    assert r.status_code == 422
    assert api.get("/legal-entities/FI01").json()["accounting_currency"] == "EUR"


def test_a_repeated_customer_put_records_one_audit_event(fi: Api) -> None:
    fi.customer("FI01", "C200", "5000.00 EUR")
    fi.customer("FI01", "C200", "5000.00 EUR")

    events = fi.get("/audit-events", entity="customer", key="FI01/C200").json()["items"]
    assert [e["action"] for e in events] == ["create"]


def test_a_repeated_group_put_and_member_put_are_harmless(fi: Api) -> None:
    fi.group("G1", "15000.00 EUR")
    fi.group("G1", "15000.00 EUR")
    fi.invoice("FI01", "INV-1", "C100", "1000.00 EUR")

    first = fi.join("G1", "FI01", "C100")
    second = fi.join("G1", "FI01", "C100")

    assert first == second
    assert fi.credit("FI01", "C100")["group"]["exposure"] == m("1000.00 EUR")
    assert len(fi.get("/credit-groups/G1").json()["members"]) == 1
