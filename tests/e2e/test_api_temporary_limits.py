"""Temporary credit limits take effect by date, in the credit summary, the customer's derived
figures and every credit check (reference §1.4, §1.8, §6.5; B05; SPEC A-07)."""

from __future__ import annotations

import pytest

from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock, m

LE = "FI01"


@pytest.fixture
def fi(api: Api, runtime: Runtime) -> Api:
    runtime.clock = FixedClock("2024-12-20")
    api.legal_entity(LE, "EUR")
    api.customer(LE, "C100", "10000.00 EUR", limit_expires_on="2027-12-31")
    return api


def test_b05_the_temporary_limit_applies_inside_its_period_and_not_the_day_after(
    fi: Api,
) -> None:
    fi.temporary_limit(LE, "C100", "20000 EUR", "2025-01-01", "2025-01-31")

    assert fi.credit(LE, "C100", "2024-12-31")["total_limit"] == m("10000.00 EUR")
    assert fi.credit(LE, "C100", "2025-01-15")["total_limit"] == m("20000.00 EUR")
    assert fi.credit(LE, "C100", "2025-01-31")["total_limit"] == m("20000.00 EUR")
    assert fi.credit(LE, "C100", "2025-02-01")["total_limit"] == m("10000.00 EUR")
    assert fi.credit(LE, "C100", "2025-01-15")["limit"] == m("10000.00 EUR")  # the ordinary one


def test_a_credit_check_inside_the_temporary_period_uses_it_and_the_day_after_does_not(
    fi: Api,
) -> None:
    fi.temporary_limit(LE, "C100", "20000 EUR", "2025-01-01", "2025-01-31")
    fi.invoice(LE, "INV-1", "C100", "15000 EUR", "2024-12-01", "2025-06-30")
    fi.order(LE, "SO-1", "C100", "1000 EUR")
    fi.order(LE, "SO-2", "C100", "1000 EUR")

    inside = fi.check(LE, "SO-1", as_of="2025-01-31")
    after = fi.check(LE, "SO-2", as_of="2025-02-01")

    assert inside["decision"] == "passed"
    assert inside["limits"][0]["limit"] == m("20000.00 EUR")
    assert after["decision"] == "on_hold"
    assert after["limits"][0]["limit"] == m("10000.00 EUR")
    assert after["reasons"][0]["code"] == "credit_limit_exceeded"


def test_the_derived_figures_show_the_active_temporary_limit_and_the_total(
    fi: Api, runtime: Runtime
) -> None:
    fi.temporary_limit(LE, "C100", "20000 EUR", "2025-01-01", "2025-01-31")

    before = fi.derived(LE, "C100")
    assert before["temporary_limit"] is None
    assert before["total_limit"] == m("10000.00 EUR")
    runtime.clock = FixedClock("2025-01-10")
    during = fi.derived(LE, "C100")

    assert during["temporary_limit"] == m("20000.00 EUR")
    assert during["total_limit"] == m("20000.00 EUR")
    assert during["limit_date"] == "2024-12-20"  # refreshed by the posting


def test_a07_an_overlapping_temporary_limit_is_rejected_when_posted(fi: Api) -> None:
    fi.temporary_limit(LE, "C100", "20000 EUR", "2025-01-01", "2025-01-31")
    journal = fi.journal(LE, "temporary_credit_limit")

    r = fi.journal_line(
        LE,
        journal,
        customer="C100",
        new_limit=m("30000 EUR"),
        **{"from": "2025-01-31", "to": "2025-02-15"},
    )

    fi.problem(r, 409, "overlapping_temporary_limit")


def test_a07_two_lines_of_one_journal_may_not_overlap_for_the_same_customer(fi: Api) -> None:
    journal = fi.journal(LE, "temporary_credit_limit")
    first = fi.journal_line(
        LE,
        journal,
        customer="C100",
        new_limit=m("30000 EUR"),
        **{"from": "2025-03-01", "to": "2025-03-31"},
    )
    assert first.status_code == 201, first.text

    second = fi.journal_line(
        LE,
        journal,
        customer="C100",
        new_limit=m("40000 EUR"),
        **{"from": "2025-03-15", "to": "2025-04-15"},
    )

    fi.problem(second, 409, "overlapping_temporary_limit")


def test_a_later_non_overlapping_temporary_limit_is_accepted(fi: Api) -> None:
    fi.temporary_limit(LE, "C100", "20000 EUR", "2025-01-01", "2025-01-31")

    fi.temporary_limit(LE, "C100", "30000 EUR", "2025-02-01", "2025-02-28")

    assert fi.credit(LE, "C100", "2025-02-10")["total_limit"] == m("30000.00 EUR")


def test_a07_a_group_temporary_limit_replaces_the_group_limit_in_checks(fi: Api) -> None:
    fi.customer(LE, "C200", "0.00 EUR")
    fi.group("G1", "5000 EUR")
    fi.join("G1", LE, "C200")
    journal = fi.journal(LE, "temporary_credit_limit")
    r = fi.journal_line(
        LE,
        journal,
        credit_group="G1",
        new_limit=m("9000 EUR"),
        **{"from": "2025-01-01", "to": "2025-01-31"},
    )
    assert r.status_code == 201, r.text
    assert fi.post_journal(LE, journal).status_code == 200
    fi.order(LE, "SO-1", "C200", "8000 EUR")
    fi.order(LE, "SO-2", "C200", "100 EUR")

    inside = fi.check(LE, "SO-1", as_of="2025-01-15")

    assert inside["decision"] == "passed"
    assert inside["limits"][0] == {
        **inside["limits"][0],
        "scope": "group",
        "limit": m("9000.00 EUR"),
    }
    assert fi.credit(LE, "C200", "2025-01-15")["group"]["limit"] == m("9000.00 EUR")
    after = fi.check(LE, "SO-2", as_of="2025-02-01")
    assert after["decision"] == "on_hold"
    assert after["limits"][0]["limit"] == m("5000.00 EUR")


def test_insurance_is_added_on_top_of_the_temporary_limit(fi: Api) -> None:
    fi.temporary_limit(LE, "C100", "20000 EUR", "2025-01-01", "2025-01-31")
    r = fi.insurance_policy(
        LE, "C100", value=m("10000 EUR"), effective="2025-01-01", expires="2025-12-31"
    )
    assert r.status_code == 201, r.text

    assert fi.credit(LE, "C100", "2025-01-15")["total_limit"] == m("25000.00 EUR")
    assert fi.credit(LE, "C100", "2025-02-15")["total_limit"] == m("15000.00 EUR")
