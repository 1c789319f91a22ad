"""The credit-limit seed scenarios (reference §5, B33–B38) through the HTTP API, with the
exact numbers of the issue. A new legal entity has the default credit setup: confirmation
checked at posting, group check on, "credit limit used 100 %" for all."""

from __future__ import annotations

import pytest

from tests.support import Api


@pytest.fixture
def fi(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    return api


def held_scopes(decision: dict[str, object]) -> list[tuple[object, object]]:
    reasons = decision["reasons"]
    assert isinstance(reasons, list)
    return [(r["code"], r["scope"]) for r in reasons]


@pytest.mark.parametrize(("amount", "decision"), [("10000.01", "on_hold"), ("10000.00", "passed")])
def test_individual_limit_below_the_group_limit_governs(
    fi: Api, amount: str, decision: str
) -> None:
    fi.group("G1", "15000.00 EUR")
    fi.customer("FI01", "C100", "10000.00 EUR")
    fi.join("G1", "FI01", "C100")
    fi.order("FI01", "SO-1", "C100", f"{amount} EUR")

    result = fi.check("FI01", "SO-1")

    assert result["decision"] == decision
    if decision == "on_hold":
        assert held_scopes(result) == [("credit_limit_exceeded", "individual")]
        assert result["hold"]["status"] == "on_hold"
    else:
        assert result["reasons"] == []
        assert result["hold"] is None


@pytest.mark.parametrize(("amount", "decision"), [("15000.01", "on_hold"), ("15000.00", "passed")])
def test_group_limit_below_the_individual_limit_governs(
    fi: Api, amount: str, decision: str
) -> None:
    fi.group("G1", "15000.00 EUR")
    fi.customer("FI01", "C100", "20000.00 EUR")
    fi.join("G1", "FI01", "C100")
    fi.order("FI01", "SO-1", "C100", f"{amount} EUR")

    result = fi.check("FI01", "SO-1")

    assert result["decision"] == decision
    if decision == "on_hold":
        assert held_scopes(result) == [("credit_limit_exceeded", "group")]
        group_line = result["limits"][0]
        assert group_line["scope"] == "group"
        assert group_line["ok"] is False
        assert group_line["limit"] == {"amount": "15000.00", "currency": "EUR"}


def test_mandatory_zero_limit_holds_any_order_even_in_a_group(fi: Api) -> None:
    fi.group("G1", "15000.00 EUR")
    fi.customer("FI01", "C100", "0.00 EUR", mandatory_limit=True)
    fi.join("G1", "FI01", "C100")
    fi.order("FI01", "SO-1", "C100", "1.00 EUR")

    result = fi.check("FI01", "SO-1")

    assert result["decision"] == "on_hold"
    assert held_scopes(result) == [("mandatory_credit_limit", "individual")]


def test_unlimited_customer_in_a_group_passes_a_million(fi: Api) -> None:
    fi.group("G1", "15000.00 EUR")
    fi.customer("FI01", "C100", "0.00 EUR", unlimited_limit=True)
    fi.join("G1", "FI01", "C100")
    fi.order("FI01", "SO-1", "C100", "1000000.00 EUR")

    result = fi.check("FI01", "SO-1")

    assert result["decision"] == "passed"
    assert result["limits"] == []


@pytest.mark.parametrize(("amount", "decision"), [("15000.01", "on_hold"), ("15000.00", "passed")])
def test_zero_limit_that_is_not_mandatory_leaves_the_group_limit_in_charge(
    fi: Api, amount: str, decision: str
) -> None:
    fi.group("G1", "15000.00 EUR")
    fi.customer("FI01", "C100", "0.00 EUR")
    fi.join("G1", "FI01", "C100")
    fi.order("FI01", "SO-1", "C100", f"{amount} EUR")

    result = fi.check("FI01", "SO-1")

    assert result["decision"] == decision
    if decision == "on_hold":
        assert held_scopes(result) == [("credit_limit_exceeded", "group")]


def test_zero_limit_outside_a_group_without_mandatory_does_not_hold(fi: Api) -> None:
    fi.customer("FI01", "C100", "0.00 EUR")
    fi.order("FI01", "SO-1", "C100", "500000.00 EUR")

    assert fi.check("FI01", "SO-1")["decision"] == "passed"


def test_a_members_balance_in_another_legal_entity_and_currency_reduces_what_the_other_may_order(
    api: Api,
) -> None:
    api.legal_entity("FI01", "EUR")
    api.legal_entity("NO01", "NOK")
    api.rate("NOK", "EUR", "0.0850")
    api.group("G1", "10000.00 EUR")
    api.customer("FI01", "C100", "50000.00 EUR")
    api.customer("NO01", "C100", "500000.00 NOK")
    api.join("G1", "FI01", "C100")
    api.join("G1", "NO01", "C100")
    # 70,588.24 NOK at 0.0850 = 6,000.00 EUR (6000.0004 rounded half-even)
    api.invoice("NO01", "INV-NO-1", "C100", "70588.24 NOK")
    api.order("FI01", "SO-1", "C100", "4000.01 EUR")
    api.order("FI01", "SO-2", "C100", "4000.00 EUR")

    held = api.check("FI01", "SO-1")

    assert held["decision"] == "on_hold"
    assert held_scopes(held) == [("credit_limit_exceeded", "group")]
    group_line = held["limits"][0]
    assert group_line["exposure_before"] == {"amount": "10000.00", "currency": "EUR"}
    assert held["rates"][0]["from_currency"] == "NOK"
    assert held["rates"][0]["rate"] == "0.0850"

    # SO-1 is on hold and still counts; cancel it and SO-2 lands exactly on the limit.
    api.order("FI01", "SO-1", "C100", "4000.01 EUR", status="cancelled")
    passed = api.check("FI01", "SO-2")

    assert passed["decision"] == "passed"
    assert passed["limits"][0]["exposure_before"] == {"amount": "6000.00", "currency": "EUR"}


def test_the_same_check_read_back_is_the_stored_decision_unchanged(fi: Api) -> None:
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "150.00 EUR")
    decision = fi.check("FI01", "SO-1")

    stored = fi.get(f"/credit-checks/{decision['id']}")

    assert stored.status_code == 200
    assert stored.json() == decision
    assert "over the limit" in decision["explanation"]
