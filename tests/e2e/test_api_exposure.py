"""Exposure as running totals, read through the credit summary
``GET /legal-entities/{le}/customers/{account}/credit``: balance (invoices − credit notes −
payments, unapplied included), packing slips (delivered, not invoiced) and open orders, counted
by the legal entity's credit limit type."""

from __future__ import annotations

import pytest

from tests.support import Api, m


@pytest.fixture
def fi(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "10000.00 EUR")
    return api


def exposure(balance: str, packing_slips: str, open_orders: str, total: str) -> dict[str, str]:
    return {
        "balance": f"{balance} EUR",
        "packing_slips": f"{packing_slips} EUR",
        "open_orders": f"{open_orders} EUR",
        "total": f"{total} EUR",
    }


def test_a_new_customer_has_no_exposure_and_the_whole_limit_available(fi: Api) -> None:
    summary = fi.credit("FI01", "C100", as_of="2026-11-23")

    assert summary["legal_entity"] == "FI01"
    assert summary["account"] == "C100"
    assert summary["limit"] == m("10000.00 EUR")
    assert summary["total_limit"] == m("10000.00 EUR")
    assert summary["exposure"] == {
        "balance": m("0.00 EUR"),
        "packing_slips": m("0.00 EUR"),
        "open_orders": m("0.00 EUR"),
        "total": m("0.00 EUR"),
    }
    assert summary["available"] == m("10000.00 EUR")
    assert summary["percent_used"] == "0.00"
    assert summary["overdue"] == {"amount": m("0.00 EUR"), "oldest_days": None}
    assert summary["group"] is None


def test_exposure_follows_every_kind_of_document_step_by_step(fi: Api) -> None:
    fi.invoice("FI01", "INV-1", "C100", "1000.00 EUR")
    assert fi.exposure("FI01", "C100") == exposure("1000.00", "0.00", "0.00", "1000.00")

    fi.invoice("FI01", "CN-1", "C100", "200.00 EUR", kind="credit_note")
    assert fi.exposure("FI01", "C100") == exposure("800.00", "0.00", "0.00", "800.00")

    fi.payment("FI01", "PAY-1", "C100", "300.00 EUR", applies_to={"INV-1": "300.00 EUR"})
    assert fi.exposure("FI01", "C100") == exposure("500.00", "0.00", "0.00", "500.00")

    fi.payment("FI01", "PAY-2", "C100", "100.00 EUR")  # on account, unapplied
    assert fi.exposure("FI01", "C100") == exposure("400.00", "0.00", "0.00", "400.00")

    fi.order("FI01", "SO-1", "C100", "2000.00 EUR")
    assert fi.exposure("FI01", "C100") == exposure("400.00", "0.00", "2000.00", "2400.00")

    fi.packing_slip("FI01", "PS-1", "SO-1", "500.00 EUR")
    assert fi.exposure("FI01", "C100") == exposure("400.00", "500.00", "1500.00", "2400.00")

    # 700.00 invoiced on SO-1: 500.00 out of packing slips first, then 200.00 out of open orders
    fi.invoice("FI01", "INV-2", "C100", "700.00 EUR", sales_order="SO-1")
    assert fi.exposure("FI01", "C100") == exposure("1100.00", "0.00", "1300.00", "2400.00")

    fi.order("FI01", "SO-2", "C100", "300.00 EUR")
    assert fi.exposure("FI01", "C100") == exposure("1100.00", "0.00", "1600.00", "2700.00")

    fi.order("FI01", "SO-2", "C100", "300.00 EUR", status="cancelled")
    assert fi.exposure("FI01", "C100") == exposure("1100.00", "0.00", "1300.00", "2400.00")

    summary = fi.credit("FI01", "C100")
    assert summary["available"] == m("7600.00 EUR")
    assert summary["percent_used"] == "24.00"


def test_applied_and_unapplied_payments_both_reduce_the_balance(fi: Api) -> None:
    fi.invoice("FI01", "INV-1", "C100", "1000.00 EUR")

    fi.payment("FI01", "PAY-1", "C100", "600.00 EUR", applies_to={"INV-1": "250.00 EUR"})

    assert fi.exposure("FI01", "C100")["balance"] == "400.00 EUR"


def test_a_payment_on_account_larger_than_the_balance_leaves_a_credit_balance(fi: Api) -> None:
    fi.invoice("FI01", "INV-1", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "500.00 EUR")

    fi.payment("FI01", "PAY-1", "C100", "250.00 EUR")

    assert fi.exposure("FI01", "C100") == exposure("-150.00", "0.00", "500.00", "350.00")


def test_an_invoice_naming_an_order_takes_packing_slips_first_then_open_orders(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "1000.00 EUR")
    fi.packing_slip("FI01", "PS-1", "SO-1", "300.00 EUR")
    fi.packing_slip("FI01", "PS-2", "SO-1", "200.00 EUR")
    assert fi.exposure("FI01", "C100") == exposure("0.00", "500.00", "500.00", "1000.00")

    fi.invoice("FI01", "INV-1", "C100", "400.00 EUR", sales_order="SO-1")
    assert fi.exposure("FI01", "C100") == exposure("400.00", "100.00", "500.00", "1000.00")

    fi.invoice("FI01", "INV-2", "C100", "350.00 EUR", sales_order="SO-1")
    assert fi.exposure("FI01", "C100") == exposure("750.00", "0.00", "250.00", "1000.00")

    order = fi.get("/legal-entities/FI01/sales-orders/SO-1").json()
    assert order["amount"] == m("250.00 EUR")
    assert order["packing_slips"] == m("0.00 EUR")


def test_an_invoice_larger_than_what_is_left_of_its_order_empties_the_order(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")

    fi.invoice("FI01", "INV-1", "C100", "150.00 EUR", sales_order="SO-1")

    assert fi.exposure("FI01", "C100") == exposure("150.00", "0.00", "0.00", "150.00")


def test_a_packing_slip_larger_than_the_open_order_counts_in_full_as_delivered(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")

    fi.packing_slip("FI01", "PS-1", "SO-1", "120.00 EUR")

    assert fi.exposure("FI01", "C100") == exposure("0.00", "120.00", "0.00", "120.00")


def test_a_credit_note_naming_an_order_does_not_touch_the_order(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "1000.00 EUR")
    fi.invoice("FI01", "INV-1", "C100", "400.00 EUR", sales_order="SO-1")

    fi.invoice("FI01", "CN-1", "C100", "100.00 EUR", kind="credit_note", sales_order="SO-1")

    assert fi.exposure("FI01", "C100") == exposure("300.00", "0.00", "600.00", "900.00")


def test_an_invoice_naming_an_unknown_order_is_refused_and_changes_nothing(fi: Api) -> None:
    r = fi.post(
        "/legal-entities/FI01/invoices",
        {
            "id": "INV-1",
            "customer": "C100",
            "amount": m("100.00 EUR"),
            "invoice_date": "2026-10-01",
            "due_date": "2026-10-31",
            "sales_order": "NO-SUCH",
        },
    )

    Api.problem(r, 404, "sales_order_not_found")
    assert fi.exposure("FI01", "C100")["total"] == "0.00 EUR"


def test_a_cancelled_order_leaves_exposure(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "1000.00 EUR")
    fi.order("FI01", "SO-2", "C100", "400.00 EUR")

    fi.order("FI01", "SO-1", "C100", "1000.00 EUR", status="cancelled")

    assert fi.exposure("FI01", "C100")["open_orders"] == "400.00 EUR"
    order = fi.get("/legal-entities/FI01/sales-orders/SO-1").json()
    assert order["status"] == "cancelled"


def test_a_cancelled_order_cannot_be_reopened_or_packed(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "1000.00 EUR", status="cancelled")

    reopen = fi.put(
        "/legal-entities/FI01/sales-orders/SO-1", {"customer": "C100", "amount": m("1000 EUR")}
    )
    pack = fi.post(
        "/legal-entities/FI01/packing-slips",
        {"id": "PS-1", "sales_order": "SO-1", "amount": m("10.00 EUR"), "date": "2026-11-01"},
    )

    Api.problem(reopen, 409, "order_closed")
    Api.problem(pack, 409, "order_closed")
    assert fi.exposure("FI01", "C100")["total"] == "0.00 EUR"


def test_an_order_created_cancelled_never_counts(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "1000.00 EUR", status="cancelled")

    assert fi.exposure("FI01", "C100")["total"] == "0.00 EUR"


@pytest.mark.parametrize(
    ("limit_type", "total", "available", "percent"),
    [
        ("balance", "1000.00", "9000.00", "10.00"),
        ("balance_and_packing_slips", "1500.00", "8500.00", "15.00"),
        ("balance_and_all", "3500.00", "6500.00", "35.00"),
    ],
)
def test_the_credit_limit_type_decides_which_parts_count(
    fi: Api, limit_type: str, total: str, available: str, percent: str
) -> None:
    fi.invoice("FI01", "INV-1", "C100", "1000.00 EUR")
    fi.order("FI01", "SO-1", "C100", "2500.00 EUR")
    fi.packing_slip("FI01", "PS-1", "SO-1", "500.00 EUR")

    fi.credit_parameters("FI01", credit_limit_type=limit_type)

    summary = fi.credit("FI01", "C100")
    assert summary["credit_limit_type"] == limit_type
    assert summary["exposure"]["balance"] == m("1000.00 EUR")
    assert summary["exposure"]["total"] == m(f"{total} EUR")
    assert summary["available"] == m(f"{available} EUR")
    assert summary["percent_used"] == percent


@pytest.mark.parametrize(
    ("limit_type", "decision"),
    [
        ("balance", "passed"),
        ("balance_and_packing_slips", "passed"),
        ("balance_and_all", "on_hold"),
    ],
)
def test_the_credit_limit_type_decides_which_parts_the_check_counts(
    fi: Api, limit_type: str, decision: str
) -> None:
    fi.invoice("FI01", "INV-1", "C100", "4000.00 EUR")
    fi.order("FI01", "SO-1", "C100", "5000.00 EUR")  # another open order
    fi.order("FI01", "SO-2", "C100", "3000.00 EUR")
    fi.credit_parameters("FI01", credit_limit_type=limit_type)

    result = fi.check("FI01", "SO-2")

    assert result["decision"] == decision
    line = result["limits"][0]
    expected_before = "9000.00" if limit_type == "balance_and_all" else "4000.00"
    assert line["exposure_before"] == m(f"{expected_before} EUR")
    assert line["order"] == m("3000.00 EUR")


def test_percent_used_is_rounded_to_two_decimals_half_even(fi: Api) -> None:
    fi.customer("FI01", "C200", "300.00 EUR")
    fi.invoice("FI01", "INV-1", "C200", "100.00 EUR")

    summary = fi.credit("FI01", "C200")

    assert summary["percent_used"] == "33.33"
    assert summary["available"] == m("200.00 EUR")


def test_exposure_beyond_the_limit_shows_negative_available_and_over_100_percent(fi: Api) -> None:
    fi.customer("FI01", "C200", "1000.00 EUR")
    fi.invoice("FI01", "INV-1", "C200", "1250.00 EUR")

    summary = fi.credit("FI01", "C200")

    assert summary["available"] == m("-250.00 EUR")
    assert summary["percent_used"] == "125.00"


def test_a_customer_without_a_limit_shows_exposure_but_no_available_or_percent(fi: Api) -> None:
    fi.customer("FI01", "C200", None)
    fi.invoice("FI01", "INV-1", "C200", "100.00 EUR")

    summary = fi.credit("FI01", "C200")

    assert summary["limit"] is None
    assert summary["total_limit"] is None
    assert summary["exposure"]["total"] == m("100.00 EUR")
    assert summary["available"] is None
    assert summary["percent_used"] is None


def test_an_unlimited_customer_shows_no_available_or_percent(fi: Api) -> None:
    fi.customer("FI01", "C200", "0.00 EUR", unlimited_limit=True)
    fi.invoice("FI01", "INV-1", "C200", "100.00 EUR")

    summary = fi.credit("FI01", "C200")

    assert summary["unlimited_limit"] is True
    assert summary["available"] is None
    assert summary["percent_used"] is None


def test_exposure_is_shown_in_the_currency_of_the_limit(api: Api) -> None:
    api.legal_entity("NO01", "NOK")
    api.rate("NOK", "EUR", "0.0850")
    api.customer("NO01", "C100", "1000.00 EUR")
    api.invoice("NO01", "INV-1", "C100", "1000.00 NOK")
    api.order("NO01", "SO-1", "C100", "2000.00 NOK")

    summary = api.credit("NO01", "C100", as_of="2026-11-23")

    assert api.exposure("NO01", "C100", as_of="2026-11-23") == exposure(
        "85.00", "0.00", "170.00", "255.00"
    )
    assert summary["available"] == m("745.00 EUR")
    assert summary["percent_used"] == "25.50"


def test_documents_in_several_currencies_add_up_after_conversion(fi: Api) -> None:
    fi.rate("SEK", "EUR", "0.0900")
    fi.invoice("FI01", "INV-1", "C100", "100.00 EUR")
    fi.invoice("FI01", "INV-2", "C100", "1000.00 SEK")
    fi.order("FI01", "SO-1", "C100", "50.00 EUR")
    fi.order("FI01", "SO-2", "C100", "500.00 SEK")

    assert fi.exposure("FI01", "C100") == exposure("190.00", "0.00", "95.00", "285.00")


def test_overdue_amount_and_oldest_days_follow_the_as_of_date(fi: Api) -> None:
    fi.invoice("FI01", "INV-1", "C100", "1000.00 EUR", "2026-10-01", "2026-10-31")
    fi.invoice("FI01", "INV-2", "C100", "700.00 EUR", "2026-11-01", "2026-11-30")
    fi.invoice("FI01", "CN-1", "C100", "50.00 EUR", "2026-09-01", "2026-09-15", kind="credit_note")
    fi.payment("FI01", "PAY-1", "C100", "300.00 EUR", applies_to={"INV-1": "300.00 EUR"})

    on_due_date = fi.credit("FI01", "C100", as_of="2026-10-31")["overdue"]
    a_day_later = fi.credit("FI01", "C100", as_of="2026-11-01")["overdue"]
    later = fi.credit("FI01", "C100", as_of="2026-11-23")["overdue"]
    both = fi.credit("FI01", "C100", as_of="2026-12-15")["overdue"]

    assert on_due_date == {"amount": m("0.00 EUR"), "oldest_days": None}
    assert a_day_later == {"amount": m("700.00 EUR"), "oldest_days": 1}
    assert later == {"amount": m("700.00 EUR"), "oldest_days": 23}
    assert both == {"amount": m("1400.00 EUR"), "oldest_days": 45}


def test_a_fully_paid_invoice_is_no_longer_overdue(fi: Api) -> None:
    fi.invoice("FI01", "INV-1", "C100", "1000.00 EUR", "2026-10-01", "2026-10-31")
    fi.payment("FI01", "PAY-1", "C100", "1000.00 EUR", applies_to={"INV-1": "1000.00 EUR"})

    assert fi.credit("FI01", "C100", as_of="2026-11-23")["overdue"] == {
        "amount": m("0.00 EUR"),
        "oldest_days": None,
    }


def test_held_orders_keep_counting_in_exposure(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "12000.00 EUR")

    assert fi.check("FI01", "SO-1")["decision"] == "on_hold"

    assert fi.exposure("FI01", "C100")["open_orders"] == "12000.00 EUR"


def test_group_figures_add_up_every_member_in_the_group_currency(api: Api) -> None:
    api.legal_entity("FI01", "EUR")
    api.legal_entity("NO01", "NOK")
    api.rate("NOK", "EUR", "0.0850")
    api.group("G1", "15000.00 EUR", expires="2026-12-31")
    api.customer("FI01", "C100", "10000.00 EUR")
    api.customer("NO01", "C100", "100000.00 NOK")
    api.join("G1", "FI01", "C100")
    api.join("G1", "NO01", "C100")
    api.invoice("FI01", "INV-1", "C100", "1000.00 EUR")
    api.order("FI01", "SO-1", "C100", "500.00 EUR")
    api.invoice("NO01", "INV-1", "C100", "20000.00 NOK")  # 1,700.00 EUR

    fi_summary = api.credit("FI01", "C100", as_of="2026-11-23")
    no_summary = api.credit("NO01", "C100", as_of="2026-11-23")

    group = {
        "id": "G1",
        "limit": m("15000.00 EUR"),
        "limit_expires_on": "2026-12-31",
        "exposure": m("3200.00 EUR"),
        "available": m("11800.00 EUR"),
    }
    assert fi_summary["group"] == group
    assert no_summary["group"] == group
    assert fi_summary["exposure"]["total"] == m("1500.00 EUR")
    assert no_summary["exposure"]["total"] == m("20000.00 NOK")


def test_group_exposure_counts_each_member_by_its_own_legal_entitys_limit_type(api: Api) -> None:
    api.legal_entity("FI01", "EUR")
    api.legal_entity("SE01", "EUR")
    api.credit_parameters("SE01", credit_limit_type="balance")
    api.group("G1", "15000.00 EUR")
    api.customer("FI01", "C100", "10000.00 EUR")
    api.customer("SE01", "C100", "10000.00 EUR")
    api.join("G1", "FI01", "C100")
    api.join("G1", "SE01", "C100")
    api.order("FI01", "SO-1", "C100", "1000.00 EUR")
    api.order("SE01", "SO-1", "C100", "2000.00 EUR")
    api.invoice("SE01", "INV-1", "C100", "300.00 EUR")

    assert api.credit("FI01", "C100")["group"]["exposure"] == m("1300.00 EUR")
