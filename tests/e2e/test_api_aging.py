"""The aged balances of a whole legal entity, ``GET /legal-entities/{le}/aged-balances``: every
open invoice (credit notes as negative amounts, paid parts left out) aged on ``as_of`` into
``current`` (not yet due), ``1-30``, ``31-60``, ``61-90`` and ``over_90`` days past due, per
customer and currency and in totals per currency; amounts stay in each invoice's currency."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, FixedClock, m

AS_OF = "2026-11-30"
EARLY = "2026-08-01"  # every invoice of the fixture is dated then
BUCKETS = ("current", "1-30", "31-60", "61-90", "over_90")


def buckets(currency: str, *amounts: str) -> dict[str, dict[str, str]]:
    return {name: m(f"{amount} {currency}") for name, amount in zip(BUCKETS, amounts, strict=True)}


def row(currency: str, total: str, *amounts: str, **extra: str) -> dict[str, Any]:
    return {
        **extra,
        "currency": currency,
        "buckets": buckets(currency, *amounts),
        "total": m(f"{total} {currency}"),
    }


@pytest.fixture
def fi(api: Api) -> Api:
    """FI01 (EUR) with C100 (EUR), C200 (SEK) and C300 (EUR, nothing open); NO01 (NOK) with
    one open invoice of its own C100."""
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "10000.00 EUR")
    api.customer("FI01", "C200", "10000.00 SEK", currency="SEK")
    api.customer("FI01", "C300", "10000.00 EUR")
    # C100 on 2026-11-30: due later, due that day, 1 day, 30 days and 31 days past due
    api.invoice("FI01", "INV-1", "C100", "1000.00 EUR", invoice_date=EARLY, due_date="2026-12-15")
    api.invoice("FI01", "INV-2", "C100", "200.00 EUR", invoice_date=EARLY, due_date="2026-11-30")
    api.invoice("FI01", "INV-3", "C100", "300.00 EUR", invoice_date=EARLY, due_date="2026-11-29")
    api.invoice("FI01", "INV-4", "C100", "400.00 EUR", invoice_date=EARLY, due_date="2026-10-31")
    api.invoice("FI01", "INV-5", "C100", "50.00 EUR", invoice_date=EARLY, due_date="2026-10-30")
    api.invoice(
        "FI01",
        "CN-1",
        "C100",
        "20.00 EUR",
        invoice_date=EARLY,
        due_date="2026-10-30",
        kind="credit_note",
    )
    api.payment("FI01", "PAY-1", "C100", "250.00 EUR", applies_to={"INV-1": "250.00 EUR"})
    # C200 in SEK: 60, 61, 90 and 91 days past due
    api.invoice("FI01", "INV-6", "C200", "100.00 SEK", invoice_date=EARLY, due_date="2026-10-01")
    api.invoice("FI01", "INV-7", "C200", "1000.00 SEK", invoice_date=EARLY, due_date="2026-09-30")
    api.invoice("FI01", "INV-8", "C200", "10.00 SEK", invoice_date=EARLY, due_date="2026-09-01")
    api.invoice("FI01", "INV-9", "C200", "500.00 SEK", invoice_date=EARLY, due_date="2026-08-31")
    # C300: fully paid, so nothing open
    api.invoice("FI01", "INV-10", "C300", "80.00 EUR", invoice_date=EARLY, due_date="2026-09-01")
    api.payment("FI01", "PAY-2", "C300", "80.00 EUR", applies_to={"INV-10": "80.00 EUR"})
    api.legal_entity("NO01", "NOK")
    api.customer("NO01", "C100", "10000.00 NOK")
    api.invoice("NO01", "INV-1", "C100", "999.00 NOK", invoice_date=EARLY, due_date="2026-11-01")
    return api


def aged(api: Api, le: str = "FI01", **params: Any) -> dict[str, Any]:
    r = api.get(f"/legal-entities/{le}/aged-balances", **params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return dict(r.json())


def test_open_invoices_are_aged_per_customer_and_currency_with_totals_per_currency(
    fi: Api,
) -> None:
    report = aged(fi, as_of=AS_OF)

    assert report == {
        "legal_entity": "FI01",
        "as_of": AS_OF,
        "totals": [
            row("EUR", "1680.00", "950.00", "700.00", "30.00", "0.00", "0.00"),
            row("SEK", "1610.00", "0.00", "0.00", "100.00", "1010.00", "500.00"),
        ],
        "customers_with_open_items": 2,
        "customers": [
            row("EUR", "1680.00", "950.00", "700.00", "30.00", "0.00", "0.00", account="C100"),
            row("SEK", "1610.00", "0.00", "0.00", "100.00", "1010.00", "500.00", account="C200"),
        ],
    }


def test_totals_only_leaves_out_the_rows_per_customer(fi: Api) -> None:
    report = aged(fi, as_of=AS_OF, customers="false")

    assert report["totals"] == aged(fi, as_of=AS_OF)["totals"]
    assert report["customers_with_open_items"] is None
    assert "customers" not in report


def test_a_customer_in_two_currencies_has_a_row_per_currency(fi: Api) -> None:
    fi.invoice("FI01", "INV-11", "C100", "5.00 SEK", due_date="2026-12-31")

    report = aged(fi, as_of=AS_OF)

    assert [(c["account"], c["currency"]) for c in report["customers"]] == [
        ("C100", "EUR"),
        ("C100", "SEK"),
        ("C200", "SEK"),
    ]
    assert report["customers_with_open_items"] == 2
    assert report["customers"][1] == row(
        "SEK", "5.00", "5.00", "0.00", "0.00", "0.00", "0.00", account="C100"
    )
    assert report["totals"][1]["total"] == m("1615.00 SEK")


def test_a_later_date_moves_the_same_invoices_into_older_buckets(fi: Api) -> None:
    report = aged(fi, as_of="2027-02-28")

    # 2026-12-15 is 75 days before, 2026-11-30 90 days and 2026-11-29 91 days
    assert report["totals"][0] == row("EUR", "1680.00", "0.00", "0.00", "0.00", "950.00", "730.00")
    assert report["totals"][1]["buckets"]["over_90"] == m("1610.00 SEK")


def test_each_customer_row_agrees_with_the_customers_own_aged_balances(fi: Api) -> None:
    report = aged(fi, as_of=AS_OF)

    own = fi.get("/legal-entities/FI01/customers/C100/aged-balances", as_of=AS_OF).json()
    c100 = report["customers"][0]
    assert c100["buckets"] == own["buckets"]
    assert c100["total"] == own["total"]


def test_as_of_defaults_to_today(fi: Api, runtime: Any) -> None:
    runtime.clock = FixedClock(AS_OF)

    assert aged(fi) == aged(fi, as_of=AS_OF)


def test_a_legal_entity_without_open_invoices_has_an_empty_report(fi: Api) -> None:
    fi.legal_entity("SE01", "SEK")
    fi.customer("SE01", "C100", "100.00 SEK")

    assert aged(fi, "SE01", as_of=AS_OF) == {
        "legal_entity": "SE01",
        "as_of": AS_OF,
        "totals": [],
        "customers_with_open_items": 0,
        "customers": [],
    }


# --- bad input ----------------------------------------------------------------------------------


def test_an_unknown_legal_entity_answers_404(fi: Api) -> None:
    r = fi.get("/legal-entities/XX01/aged-balances", as_of=AS_OF)

    Api.problem(r, 404, "legal_entity_not_found")


@pytest.mark.parametrize("as_of", ["30.11.2026", "2026-11-31", "2026-1-30", "today", ""])
def test_a_malformed_report_date_is_refused(fi: Api, as_of: str) -> None:
    r = fi.get("/legal-entities/FI01/aged-balances", as_of=as_of)

    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["query", "as_of"]


def test_a_report_date_in_a_format_other_than_yyyy_mm_dd_is_an_invalid_date(fi: Api) -> None:
    Api.problem(fi.get("/legal-entities/FI01/aged-balances", as_of="20261130"), 422, "invalid_date")


def test_a_report_date_with_no_room_for_the_oldest_bucket_is_an_invalid_date(fi: Api) -> None:
    r = fi.get("/legal-entities/FI01/aged-balances", as_of="0001-01-01")

    Api.problem(r, 422, "invalid_date")


def test_customers_must_be_a_boolean(fi: Api) -> None:
    r = fi.get("/legal-entities/FI01/aged-balances", customers="some")

    Api.problem(r, 422, "validation_error")


# --- authentication and legal-entity scope ------------------------------------------------------


def test_the_report_needs_a_token(fi: Api) -> None:
    r = fi.as_token("").get("/legal-entities/FI01/aged-balances", as_of=AS_OF)

    Api.problem(r, 401, "unauthenticated")


def test_a_viewer_scoped_to_fi01_reads_fi01_but_not_no01(fi: Api) -> None:
    viewer = fi.as_token(fi.new_token("viewer", ["FI01"]))

    assert aged(viewer, as_of=AS_OF) == aged(fi, as_of=AS_OF)
    Api.problem(viewer.get("/legal-entities/NO01/aged-balances", as_of=AS_OF), 403, "forbidden")
    # outside its scope a legal entity that does not exist is just as forbidden
    Api.problem(viewer.get("/legal-entities/XX01/aged-balances", as_of=AS_OF), 403, "forbidden")


def test_an_unscoped_caller_reads_every_legal_entity(fi: Api) -> None:
    report = aged(fi, "NO01", as_of=AS_OF)

    assert report["totals"] == [row("NOK", "999.00", "0.00", "999.00", "0.00", "0.00", "0.00")]
    assert [c["account"] for c in report["customers"]] == ["C100"]


def test_the_report_is_in_the_openapi_document(fi: Api) -> None:
    paths = fi.client.get("/api/v1/openapi.json").json()["paths"]

    operation = paths["/api/v1/legal-entities/{le}/aged-balances"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"le", "as_of", "customers"}
    assert "200" in operation["responses"]
