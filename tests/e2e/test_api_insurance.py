"""Insurance policies and guarantees raise the total credit limit (reference §1.4, §1.5;
B01–B04; SPEC A-05)."""

from __future__ import annotations

import pytest

from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock, m

LE = "FI01"
POLICIES = f"/legal-entities/{LE}/customers/C100/insurance-policies"


@pytest.fixture
def fi(api: Api, runtime: Runtime) -> Api:
    runtime.clock = FixedClock("2026-11-23")
    api.legal_entity(LE, "EUR")
    api.customer(LE, "C100", "100000.00 EUR", limit_expires_on="2027-12-31")
    return api


def test_b01_a_50000_policy_at_50_percent_makes_the_total_limit_125000(fi: Api) -> None:
    r = fi.insurance_policy(LE, "C100", value=m("50000 EUR"), update_credit_limit_percent="50")

    assert r.status_code == 201, r.text
    assert r.json()["id"]
    assert r.json()["contribution"] == m("25000.00 EUR")
    assert fi.credit(LE, "C100", "2026-11-23")["total_limit"] == m("125000.00 EUR")
    derived = fi.derived(LE, "C100")
    assert derived["insurance"] == m("25000.00 EUR")
    assert derived["total_limit"] == m("125000.00 EUR")


def test_b02_included_in_exposure_gives_the_documented_75000(fi: Api) -> None:
    fi.insurance_policy(LE, "C100", included_in_exposure=True)

    assert fi.credit(LE, "C100", "2026-11-23")["total_limit"] == m("75000.00 EUR")


@pytest.mark.parametrize("percent", ["101", "-1"])
def test_b03_an_update_percent_outside_0_to_100_is_rejected(fi: Api, percent: str) -> None:
    r = fi.insurance_policy(LE, "C100", update_credit_limit_percent=percent)

    fi.problem(r, 422, "invalid_percent")
    assert fi.get(POLICIES).json()["items"] == []


def test_a_percent_sent_as_a_json_number_is_rejected(fi: Api) -> None:
    r = fi.insurance_policy(LE, "C100", update_credit_limit_percent=50)

    fi.problem(r, 422, "invalid_number")


def test_b04_a_coverage_type_on_a_guarantee_is_rejected(fi: Api) -> None:
    r = fi.insurance_policy(LE, "C100", identifier="guarantee", coverage_type="EXPORT")

    fi.problem(r, 422, "coverage_type_not_allowed")


def test_a_guarantee_without_coverage_type_raises_the_limit_too(fi: Api) -> None:
    r = fi.insurance_policy(
        LE, "C100", identifier="guarantee", value=m("20000 EUR"), update_credit_limit_percent="100"
    )

    assert r.status_code == 201, r.text
    assert fi.credit(LE, "C100", "2026-11-23")["total_limit"] == m("120000.00 EUR")


def test_a_policy_counts_only_between_its_effective_and_expiration_dates(fi: Api) -> None:
    fi.insurance_policy(LE, "C100", effective="2026-01-01", expires="2026-12-31")

    assert fi.credit(LE, "C100", "2025-12-31")["total_limit"] == m("100000.00 EUR")
    assert fi.credit(LE, "C100", "2026-12-31")["total_limit"] == m("125000.00 EUR")
    assert fi.credit(LE, "C100", "2027-01-01")["total_limit"] == m("100000.00 EUR")


def test_a_policy_in_another_currency_is_converted_to_the_limit_currency(fi: Api) -> None:
    fi.rate("SEK", "EUR", "0.0870", "2026-01-01")
    fi.insurance_policy(LE, "C100", value=m("100000 SEK"), update_credit_limit_percent="50")

    assert fi.credit(LE, "C100", "2026-11-23")["total_limit"] == m("104350.00 EUR")


def test_policies_are_listed_and_deleted(fi: Api) -> None:
    policy = fi.insurance_policy(LE, "C100", policy_number="P-7").json()

    listed = fi.get(POLICIES).json()["items"]
    assert [(p["id"], p["policy_number"], p["identifier"]) for p in listed] == [
        (policy["id"], "P-7", "insurance")
    ]
    assert fi.delete(f"{POLICIES}/{policy['id']}").status_code == 204
    assert fi.get(POLICIES).json()["items"] == []
    fi.problem(fi.delete(f"{POLICIES}/{policy['id']}"), 404, "insurance_policy_not_found")
    assert fi.credit(LE, "C100", "2026-11-23")["total_limit"] == m("100000.00 EUR")


def test_the_credit_check_uses_the_limit_raised_by_insurance(fi: Api) -> None:
    fi.insurance_policy(LE, "C100")
    fi.invoice(LE, "INV-1", "C100", "110000 EUR", "2026-10-01", "2027-01-31")
    fi.order(LE, "SO-1", "C100", "15000 EUR")  # lands exactly on 125,000

    first = fi.check(LE, "SO-1", as_of="2026-11-23")

    assert first["decision"] == "passed"
    assert first["limits"][0]["limit"] == m("125000.00 EUR")
    fi.order(LE, "SO-2", "C100", "1 EUR")
    assert fi.check(LE, "SO-2", as_of="2026-11-23")["decision"] == "on_hold"


def test_a_policy_for_an_unknown_customer_answers_404(fi: Api) -> None:
    r = fi.post(
        f"/legal-entities/{LE}/customers/NOPE/insurance-policies",
        {"identifier": "insurance", "value": m("1 EUR"), "update_credit_limit_percent": "1"},
    )

    fi.problem(r, 404, "customer_not_found")
