"""Customer credit groups through the HTTP API: joining copies the group expiry (B39), the same
account in other legal entities is offered (B41), one group per customer (A-15), members
leave with their exposure, and aged balances per member and for the group."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, m

AS_OF = "2026-11-23"


@pytest.fixture
def nordic(api: Api) -> Api:
    """FI01 (EUR), NO01 (NOK), SE01 (SEK); NOK→EUR 0.0850, SEK→EUR 0.0900; group G1 of
    15,000.00 EUR expiring 2026-12-31."""
    api.legal_entity("FI01", "EUR")
    api.legal_entity("NO01", "NOK")
    api.legal_entity("SE01", "SEK")
    api.rate("NOK", "EUR", "0.0850")
    api.rate("SEK", "EUR", "0.0900")
    api.group("G1", "15000.00 EUR", expires="2026-12-31")
    return api


# --- B39: the member takes the group's expiry ---------------------------------------------------


def test_joining_a_group_copies_the_group_expiry_onto_the_member(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR", limit_expires_on="2025-06-30")

    joined = nordic.join("G1", "FI01", "C100")

    assert joined["legal_entity"] == "FI01"
    assert joined["account"] == "C100"
    assert joined["limit_expires_on"] == "2026-12-31"
    customer = nordic.get("/legal-entities/FI01/customers/C100").json()
    assert customer["credit"]["limit_expires_on"] == "2026-12-31"
    assert customer["credit_group"] == "G1"
    assert nordic.credit("FI01", "C100")["limit_expires_on"] == "2026-12-31"


def test_a_member_without_an_expiry_gets_the_group_expiry(nordic: Api) -> None:
    nordic.customer("NO01", "C100", "100000.00 NOK")

    assert nordic.join("G1", "NO01", "C100")["limit_expires_on"] == "2026-12-31"


def test_joining_is_recorded_in_the_audit_trail_with_the_old_and_new_expiry(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR", limit_expires_on="2025-06-30")

    nordic.join("G1", "FI01", "C100")

    events = nordic.get("/audit-events", entity="credit_group", key="G1").json()["items"]
    assert events[-1]["action"] == "add_member"
    assert events[-1]["before"] == {"member": "FI01/C100", "limit_expires_on": "2025-06-30"}
    assert events[-1]["after"] == {"member": "FI01/C100", "limit_expires_on": "2026-12-31"}


def test_the_group_answers_its_limit_expiry_and_members(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.customer("NO01", "C100", "100000.00 NOK")
    nordic.join("G1", "NO01", "C100")
    nordic.join("G1", "FI01", "C100")

    group = nordic.get("/credit-groups/G1").json()

    assert group["id"] == "G1"
    assert group["limit"] == m("15000.00 EUR")
    assert group["limit_expires_on"] == "2026-12-31"
    assert [(x["legal_entity"], x["account"]) for x in group["members"]] == [
        ("FI01", "C100"),
        ("NO01", "C100"),
    ]


# --- B41: the same account in other legal entities ---------------------------------------------


def test_adding_an_account_offers_the_same_account_in_other_legal_entities(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.customer("NO01", "C100", "100000.00 NOK")
    nordic.customer("SE01", "C100", "100000.00 SEK")
    nordic.customer("SE01", "C200", "100000.00 SEK")

    first = nordic.join("G1", "FI01", "C100")

    assert first["same_account_in_other_legal_entities"] == [
        {"legal_entity": "NO01", "account": "C100"},
        {"legal_entity": "SE01", "account": "C100"},
    ]

    second = nordic.join("G1", "NO01", "C100")

    assert second["same_account_in_other_legal_entities"] == [
        {"legal_entity": "SE01", "account": "C100"}
    ]


def test_an_account_found_in_no_other_legal_entity_offers_nothing(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.customer("NO01", "C999", "100000.00 NOK")

    assert nordic.join("G1", "FI01", "C100")["same_account_in_other_legal_entities"] == []


def test_a_scoped_caller_is_offered_only_accounts_it_may_see(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.customer("NO01", "C100", "100000.00 NOK")
    nordic.customer("SE01", "C100", "100000.00 SEK")
    manager = nordic.as_token(nordic.new_token("credit_manager", ["FI01", "SE01"]))

    joined = manager.join("G1", "FI01", "C100")

    assert joined["same_account_in_other_legal_entities"] == [
        {"legal_entity": "SE01", "account": "C100"}
    ]


# --- one group per customer ---------------------------------------------------------------


def test_a_customer_is_in_at_most_one_group_until_it_leaves(nordic: Api) -> None:
    nordic.group("G2", "5000.00 EUR", expires="2027-03-31")
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.join("G1", "FI01", "C100")

    Api.problem(nordic.put("/credit-groups/G2/members/FI01/C100"), 409, "already_in_group")

    assert nordic.delete("/credit-groups/G1/members/FI01/C100").status_code == 204
    joined = nordic.join("G2", "FI01", "C100")
    assert joined["limit_expires_on"] == "2027-03-31"
    assert nordic.credit("FI01", "C100")["group"]["id"] == "G2"


# --- leaving a group ----------------------------------------------------------------------------


def test_joining_brings_the_members_exposure_into_the_group(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.customer("NO01", "C100", "100000.00 NOK")
    nordic.invoice("FI01", "INV-1", "C100", "1000.00 EUR")
    nordic.order("NO01", "SO-1", "C100", "10000.00 NOK")
    nordic.join("G1", "FI01", "C100")

    assert nordic.credit("FI01", "C100")["group"]["exposure"] == m("1000.00 EUR")

    nordic.join("G1", "NO01", "C100")

    assert nordic.credit("FI01", "C100")["group"]["exposure"] == m("1850.00 EUR")


def test_removing_a_member_takes_its_exposure_out_of_the_group(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "50000.00 EUR")
    nordic.customer("NO01", "C100", "500000.00 NOK")
    nordic.join("G1", "FI01", "C100")
    nordic.join("G1", "NO01", "C100")
    nordic.invoice("NO01", "INV-1", "C100", "100000.00 NOK")  # 8,500.00 EUR
    nordic.order("FI01", "SO-1", "C100", "7000.00 EUR")
    assert nordic.check("FI01", "SO-1")["decision"] == "on_hold"  # 8,500 + 7,000 > 15,000

    r = nordic.delete("/credit-groups/G1/members/NO01/C100")

    assert r.status_code == 204
    summary = nordic.credit("FI01", "C100")
    assert summary["group"]["exposure"] == m("7000.00 EUR")
    assert summary["group"]["available"] == m("8000.00 EUR")
    assert nordic.credit("NO01", "C100")["group"] is None
    assert nordic.credit("NO01", "C100")["exposure"]["balance"] == m("100000.00 NOK")
    members = nordic.get("/credit-groups/G1").json()["members"]
    assert [(x["legal_entity"], x["account"]) for x in members] == [("FI01", "C100")]
    nordic.order("FI01", "SO-2", "C100", "7000.00 EUR")
    assert nordic.check("FI01", "SO-2")["limits"][0]["exposure_before"] == m("7000.00 EUR")


def test_documents_after_leaving_no_longer_reach_the_group(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.customer("FI01", "C200", "10000.00 EUR")
    nordic.join("G1", "FI01", "C100")
    nordic.join("G1", "FI01", "C200")
    nordic.invoice("FI01", "INV-1", "C200", "100.00 EUR")
    nordic.delete("/credit-groups/G1/members/FI01/C200")

    nordic.invoice("FI01", "INV-2", "C200", "900.00 EUR")
    nordic.payment("FI01", "PAY-1", "C200", "50.00 EUR", applies_to={"INV-1": "50.00 EUR"})

    assert nordic.credit("FI01", "C100")["group"]["exposure"] == m("0.00 EUR")
    assert nordic.exposure("FI01", "C200")["balance"] == "950.00 EUR"


def test_removing_a_customer_that_is_not_a_member_answers_404(nordic: Api) -> None:
    nordic.group("G2", "5000.00 EUR")
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.join("G2", "FI01", "C100")

    Api.problem(nordic.delete("/credit-groups/G1/members/FI01/C100"), 404, "member_not_found")
    Api.problem(nordic.delete("/credit-groups/G9/members/FI01/C100"), 404, "credit_group_not_found")
    Api.problem(nordic.delete("/credit-groups/G1/members/FI01/C999"), 404, "customer_not_found")
    assert nordic.credit("FI01", "C100")["group"]["id"] == "G2"


# --- aged balances ------------------------------------------------------------------------------


def invoices_by_age(api: Api) -> None:
    """FI01/C100 open invoices by days past due on 2026-11-23 (due date = invoice date)."""
    for invoice_id, amount, due in [
        ("F-CUR-1", "100.00", "2026-12-01"),  # not yet due
        ("F-CUR-2", "50.00", "2026-11-23"),  # due today: current
        ("F-1", "200.00", "2026-11-22"),  # 1 day
        ("F-30", "25.00", "2026-10-24"),  # 30 days
        ("F-31", "300.00", "2026-10-23"),  # 31 days
        ("F-60", "30.00", "2026-09-24"),  # 60 days
        ("F-61", "400.00", "2026-09-23"),  # 61 days
        ("F-90", "40.00", "2026-08-25"),  # 90 days
        ("F-91", "500.00", "2026-08-24"),  # 91 days
    ]:
        api.invoice("FI01", invoice_id, "C100", f"{amount} EUR", due, due)


def money_buckets(current: str, d30: str, d60: str, d90: str, over: str, cur: str) -> Any:
    return {
        "current": m(f"{current} {cur}"),
        "1-30": m(f"{d30} {cur}"),
        "31-60": m(f"{d60} {cur}"),
        "61-90": m(f"{d90} {cur}"),
        "over_90": m(f"{over} {cur}"),
    }


def test_customer_aged_balances_put_open_invoices_in_buckets_by_due_date(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    invoices_by_age(nordic)

    r = nordic.get("/legal-entities/FI01/customers/C100/aged-balances", as_of=AS_OF)

    assert r.status_code == 200, r.text
    aged = r.json()
    assert aged["legal_entity"] == "FI01"
    assert aged["account"] == "C100"
    assert aged["as_of"] == AS_OF
    assert aged["buckets"] == money_buckets("150.00", "225.00", "330.00", "440.00", "500.00", "EUR")
    assert aged["total"] == m("1645.00 EUR")


def test_customer_aged_balances_follow_payments_and_credit_notes(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    invoices_by_age(nordic)
    nordic.payment("FI01", "PAY-1", "C100", "500.00 EUR", applies_to={"F-91": "500.00 EUR"})
    nordic.payment("FI01", "PAY-2", "C100", "100.00 EUR", applies_to={"F-61": "100.00 EUR"})
    nordic.invoice(
        "FI01", "CN-1", "C100", "20.00 EUR", "2026-11-20", "2026-11-20", kind="credit_note"
    )

    aged = nordic.get("/legal-entities/FI01/customers/C100/aged-balances", as_of=AS_OF).json()

    assert aged["buckets"] == money_buckets("150.00", "205.00", "330.00", "340.00", "0.00", "EUR")
    assert aged["total"] == m("1025.00 EUR")


def test_customer_aged_balances_are_in_the_legal_entity_accounting_currency(
    nordic: Api,
) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.invoice("FI01", "INV-1", "C100", "1000.00 SEK", "2026-11-01", "2026-11-01")
    nordic.invoice("FI01", "INV-2", "C100", "10.00 EUR", "2026-12-01", "2026-12-01")

    aged = nordic.get("/legal-entities/FI01/customers/C100/aged-balances", as_of=AS_OF).json()

    assert aged["buckets"] == money_buckets("10.00", "90.00", "0.00", "0.00", "0.00", "EUR")
    assert aged["total"] == m("100.00 EUR")


def test_aged_balances_move_to_older_buckets_as_the_date_moves_on(nordic: Api) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.invoice("FI01", "INV-1", "C100", "100.00 EUR", "2026-10-01", "2026-10-31")

    def buckets(as_of: str) -> Any:
        path = "/legal-entities/FI01/customers/C100/aged-balances"
        return nordic.get(path, as_of=as_of).json()["buckets"]

    assert buckets("2026-10-31")["current"] == m("100.00 EUR")
    assert buckets("2026-11-30")["1-30"] == m("100.00 EUR")
    assert buckets("2026-12-01")["31-60"] == m("100.00 EUR")
    assert buckets("2027-01-29")["61-90"] == m("100.00 EUR")
    assert buckets("2027-01-30")["over_90"] == m("100.00 EUR")


def test_group_aged_balances_show_each_member_in_its_own_and_the_group_currency(
    nordic: Api,
) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.customer("NO01", "C100", "100000.00 NOK")
    nordic.customer("FI01", "C200", "10000.00 EUR")  # not a member
    nordic.join("G1", "FI01", "C100")
    nordic.join("G1", "NO01", "C100")
    invoices_by_age(nordic)
    nordic.invoice("NO01", "N-CUR", "C100", "10000.00 NOK", "2026-12-15", "2026-12-15")
    nordic.invoice("NO01", "N-45", "C100", "4000.00 NOK", "2026-10-09", "2026-10-09")
    nordic.invoice("NO01", "N-120", "C100", "20000.00 NOK", "2026-07-26", "2026-07-26")
    nordic.invoice("FI01", "OTHER", "C200", "999.00 EUR", "2026-07-26", "2026-07-26")

    r = nordic.get("/credit-groups/G1/aged-balances", as_of=AS_OF)

    assert r.status_code == 200, r.text
    aged = r.json()
    assert aged["group"] == "G1"
    assert aged["currency"] == "EUR"
    fi_row, no_row = aged["members"]
    assert (fi_row["legal_entity"], fi_row["account"]) == ("FI01", "C100")
    assert fi_row["buckets"] == money_buckets(
        "150.00", "225.00", "330.00", "440.00", "500.00", "EUR"
    )
    assert fi_row["buckets_in_group_currency"] == fi_row["buckets"]
    assert fi_row["total"] == m("1645.00 EUR")
    assert (no_row["legal_entity"], no_row["account"]) == ("NO01", "C100")
    assert no_row["buckets"] == money_buckets(
        "10000.00", "0.00", "4000.00", "0.00", "20000.00", "NOK"
    )
    assert no_row["total"] == m("34000.00 NOK")
    assert no_row["buckets_in_group_currency"] == money_buckets(
        "850.00", "0.00", "340.00", "0.00", "1700.00", "EUR"
    )
    assert no_row["total_in_group_currency"] == m("2890.00 EUR")
    assert aged["totals"] == money_buckets(
        "1000.00", "225.00", "670.00", "440.00", "2200.00", "EUR"
    )
    assert aged["total"] == m("4535.00 EUR")


def test_group_aged_balances_of_a_group_in_another_currency_convert_every_member(
    nordic: Api,
) -> None:
    nordic.group("G2", "1000000.00 NOK")
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.join("G2", "FI01", "C100")
    nordic.invoice("FI01", "INV-1", "C100", "170.00 EUR", "2026-11-01", "2026-11-01")

    aged = nordic.get("/credit-groups/G2/aged-balances", as_of=AS_OF).json()

    # EUR→NOK is the inverse of NOK→EUR 0.0850: 170 / 0.085 = 2,000.00 NOK
    assert aged["currency"] == "NOK"
    assert aged["members"][0]["buckets"]["1-30"] == m("170.00 EUR")
    assert aged["members"][0]["buckets_in_group_currency"]["1-30"] == m("2000.00 NOK")
    assert aged["totals"]["1-30"] == m("2000.00 NOK")
    assert aged["total"] == m("2000.00 NOK")


def test_group_aged_balances_of_an_empty_or_unknown_group(nordic: Api) -> None:
    aged = nordic.get("/credit-groups/G1/aged-balances", as_of=AS_OF).json()

    assert aged["members"] == []
    assert aged["total"] == m("0.00 EUR")
    Api.problem(nordic.get("/credit-groups/G9/aged-balances"), 404, "credit_group_not_found")


def test_group_aged_balances_are_refused_to_a_caller_who_cannot_see_every_member(
    nordic: Api,
) -> None:
    nordic.customer("FI01", "C100", "10000.00 EUR")
    nordic.customer("NO01", "C100", "100000.00 NOK")
    nordic.join("G1", "FI01", "C100")
    nordic.join("G1", "NO01", "C100")
    fi_viewer = nordic.as_token(nordic.new_token("viewer", ["FI01"]))

    Api.problem(fi_viewer.get("/credit-groups/G1/aged-balances"), 403, "forbidden")
