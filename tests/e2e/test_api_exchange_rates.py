"""Exchange rates through the HTTP API: the rate in force on a date is the one with the latest
``valid_from`` on or before it; the inverse pair is used when only the reverse exists; every
rate a check used is recorded in its decision."""

from __future__ import annotations

import pytest

from tests.support import Api, m


@pytest.fixture
def fi(api: Api) -> Api:
    """FI01 (EUR) with C100, limit 100,000.00 EUR, and an order of 10,000.00 NOK."""
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "100000.00 EUR")
    api.order("FI01", "SO-1", "C100", "10000.00 NOK")
    return api


@pytest.mark.parametrize(
    ("as_of", "rate", "valid_from", "order_in_eur"),
    [
        ("2026-01-01", "0.0800", "2026-01-01", "800.00"),
        ("2026-05-31", "0.0800", "2026-01-01", "800.00"),
        ("2026-06-01", "0.0900", "2026-06-01", "900.00"),
        ("2026-11-23", "0.0900", "2026-06-01", "900.00"),
        ("2027-01-01", "0.1000", "2027-01-01", "1000.00"),
    ],
)
def test_the_rate_in_force_is_the_one_with_the_latest_valid_from_on_or_before_the_date(
    fi: Api, as_of: str, rate: str, valid_from: str, order_in_eur: str
) -> None:
    fi.rate("NOK", "EUR", "0.1000", "2027-01-01")
    fi.rate("NOK", "EUR", "0.0800", "2026-01-01")
    fi.rate("NOK", "EUR", "0.0900", "2026-06-01")

    decision = fi.check("FI01", "SO-1", as_of=as_of)

    assert decision["rates"] == [
        {
            "from_currency": "NOK",
            "to_currency": "EUR",
            "rate": rate,
            "valid_from": valid_from,
            "inverse": False,
        }
    ]
    assert decision["limits"][0]["order"] == m(f"{order_in_eur} EUR")
    assert f"Rate NOK→EUR {rate}, valid from {valid_from}" in decision["explanation"]
    summary = fi.credit("FI01", "C100", as_of=as_of)
    assert summary["exposure"]["open_orders"] == m(f"{order_in_eur} EUR")


def test_no_rate_in_force_yet_on_the_check_date_is_a_missing_rate(fi: Api) -> None:
    fi.rate("NOK", "EUR", "0.0800", "2026-01-01")

    r = fi.post(
        "/legal-entities/FI01/sales-orders/SO-1/credit-checks",
        {"checkpoint": "confirmation", "posting": True, "as_of": "2025-12-31"},
    )

    Api.problem(r, 422, "exchange_rate_missing")
    Api.problem(
        fi.get("/legal-entities/FI01/customers/C100/credit", as_of="2025-12-31"),
        422,
        "exchange_rate_missing",
    )
    assert fi.get("/legal-entities/FI01/customers/C100/credit-checks").json()["items"] == []


def test_a_rate_posted_again_for_the_same_day_replaces_the_old_one(fi: Api) -> None:
    fi.rate("NOK", "EUR", "0.0800", "2026-01-01")
    fi.rate("NOK", "EUR", "0.0850", "2026-01-01")

    decision = fi.check("FI01", "SO-1")

    assert decision["rates"][0]["rate"] == "0.0850"
    assert fi.get("/exchange-rates", from_currency="NOK").json()["items"] == [
        {"from_currency": "NOK", "to_currency": "EUR", "rate": "0.0850", "valid_from": "2026-01-01"}
    ]


def test_the_inverse_of_the_reverse_rate_is_used_when_only_that_exists(fi: Api) -> None:
    fi.rate("EUR", "NOK", "10", "2026-01-01")

    decision = fi.check("FI01", "SO-1")

    assert decision["rates"] == [
        {
            "from_currency": "NOK",
            "to_currency": "EUR",
            "rate": "0.1",
            "valid_from": "2026-01-01",
            "inverse": True,
        }
    ]
    assert decision["limits"][0]["order"] == m("1000.00 EUR")
    assert "inverse of the reverse rate" in decision["explanation"]


def test_the_inverse_rate_is_taken_to_twelve_decimals(fi: Api) -> None:
    fi.rate("EUR", "NOK", "11.7647", "2026-01-01")
    fi.order("FI01", "SO-2", "C100", "117647.00 NOK")

    decision = fi.check("FI01", "SO-2")

    # 1 / 11.7647 = 0.08500004250021... → 0.085000042500 (12 decimals, half-even)
    assert decision["rates"][0]["rate"] == "0.0850000425"
    assert decision["rates"][0]["inverse"] is True
    assert decision["limits"][0]["order"] == m("10000.00 EUR")


def test_the_latest_reverse_rate_on_or_before_the_date_is_inverted(fi: Api) -> None:
    fi.rate("EUR", "NOK", "10", "2026-01-01")
    fi.rate("EUR", "NOK", "8", "2026-10-01")
    fi.rate("EUR", "NOK", "5", "2026-12-01")

    decision = fi.check("FI01", "SO-1", as_of="2026-11-23")

    assert decision["rates"][0]["rate"] == "0.125"
    assert decision["rates"][0]["valid_from"] == "2026-10-01"
    assert decision["limits"][0]["order"] == m("1250.00 EUR")


def test_a_direct_rate_in_force_wins_over_the_inverse_of_the_reverse(fi: Api) -> None:
    fi.rate("EUR", "NOK", "10", "2026-06-01")
    fi.rate("NOK", "EUR", "0.0900", "2026-01-01")

    decision = fi.check("FI01", "SO-1")

    assert decision["rates"][0]["rate"] == "0.0900"
    assert decision["rates"][0]["inverse"] is False


def test_conversion_rounds_half_even_to_the_minor_unit_of_the_target(fi: Api) -> None:
    fi.rate("NOK", "EUR", "0.085", "2026-01-01")
    fi.order("FI01", "SO-2", "C100", "0.50 NOK")  # 0.0425 → 0.04
    fi.order("FI01", "SO-3", "C100", "1.50 NOK")  # 0.1275 → 0.13

    assert fi.check("FI01", "SO-2")["limits"][0]["order"] == m("0.04 EUR")
    assert fi.check("FI01", "SO-3")["limits"][0]["order"] == m("0.13 EUR")


def test_every_rate_a_check_used_is_recorded_in_its_decision(api: Api) -> None:
    api.legal_entity("FI01", "EUR")
    api.rate("SEK", "EUR", "0.0900", "2026-01-01")
    api.rate("NOK", "SEK", "0.9500", "2026-03-01")  # SEK→NOK is its inverse
    api.group("G1", "100000.00 NOK")
    api.customer("FI01", "C100", "5000.00 EUR")
    api.join("G1", "FI01", "C100")
    api.order("FI01", "SO-1", "C100", "1900.00 SEK")

    decision = api.check("FI01", "SO-1")

    rates = {(r["from_currency"], r["to_currency"]): r for r in decision["rates"]}
    assert set(rates) == {("SEK", "EUR"), ("SEK", "NOK")}
    assert rates["SEK", "EUR"]["rate"] == "0.0900"
    assert rates["SEK", "EUR"]["inverse"] is False
    assert rates["SEK", "NOK"]["inverse"] is True
    assert rates["SEK", "NOK"]["valid_from"] == "2026-03-01"
    group_line, individual_line = decision["limits"]
    assert group_line["order"] == m("2000.00 NOK")  # 1,900 / 0.95
    assert individual_line["order"] == m("171.00 EUR")


def test_the_stored_decision_keeps_the_rate_it_used_after_new_rates_arrive(fi: Api) -> None:
    fi.rate("NOK", "EUR", "0.0850", "2026-01-01")
    decision = fi.check("FI01", "SO-1", as_of="2026-11-23")

    fi.rate("NOK", "EUR", "0.5000", "2026-11-01")
    fi.rate("NOK", "EUR", "0.6000", "2026-01-01")

    stored = fi.get(f"/credit-checks/{decision['id']}").json()
    assert stored == decision
    assert stored["rates"][0]["rate"] == "0.0850"


def test_a_check_in_one_currency_records_no_rates(fi: Api) -> None:
    fi.customer("FI01", "C200", "1000.00 EUR")
    fi.order("FI01", "SO-2", "C200", "100.00 EUR")

    assert fi.check("FI01", "SO-2")["rates"] == []


def test_exchange_rates_are_listed_by_pair_and_date(api: Api) -> None:
    api.rate("NOK", "EUR", "0.0900", "2026-06-01")
    api.rate("NOK", "EUR", "0.0800", "2026-01-01")
    api.rate("SEK", "EUR", "0.0900", "2026-01-01")

    items = api.get("/exchange-rates", from_currency="NOK", to_currency="EUR").json()["items"]

    assert [(i["rate"], i["valid_from"]) for i in items] == [
        ("0.0800", "2026-01-01"),
        ("0.0900", "2026-06-01"),
    ]


def test_a_rate_between_a_currency_and_itself_is_refused(api: Api) -> None:
    r = api.post(
        "/exchange-rates",
        {"from_currency": "EUR", "to_currency": "EUR", "rate": "1", "valid_from": "2026-01-01"},
    )

    Api.problem(r, 422, "invalid_rate")
