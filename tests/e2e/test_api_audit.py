"""The audit trail through the HTTP API: every change is an append-only event with who, when,
what, before and after; refused requests leave no trace."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support import Api, m

ADMIN = "token:admin (CREDITDESK_ADMIN_TOKEN)"
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


@pytest.fixture
def fi(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    return api


def events(api: Api, **filters: Any) -> list[dict[str, Any]]:
    r = api.get("/audit-events", **filters)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_creating_and_updating_a_customer_is_audited_with_before_and_after(fi: Api) -> None:
    fi.customer("FI01", "C100", "10000.00 EUR")
    fi.customer("FI01", "C100", "12000.00 EUR", limit_expires_on="2027-06-30")

    created, updated = events(fi, entity="customer", key="FI01/C100")

    assert created["action"] == "create"
    assert created["entity"] == "customer"
    assert created["key"] == "FI01/C100"
    assert created["actor"] == ADMIN
    assert RFC3339_UTC.fullmatch(created["at"]), created["at"]
    assert created["before"] is None
    assert created["after"]["account"] == "C100"
    assert created["after"]["credit"]["limit"] == m("10000.00 EUR")
    assert updated["action"] == "update"
    assert updated["before"] == created["after"]
    assert updated["after"]["credit"]["limit"] == m("12000.00 EUR")
    assert updated["after"]["credit"]["limit_expires_on"] == "2027-06-30"
    assert updated["id"] > created["id"]
    assert updated["at"] >= created["at"]


def test_the_audit_filter_keeps_other_customers_and_entities_out(fi: Api) -> None:
    fi.legal_entity("NO01", "NOK")
    fi.customer("FI01", "C100", "10000.00 EUR")
    fi.customer("FI01", "C200", "10000.00 EUR")
    fi.customer("NO01", "C100", "10000.00 NOK")

    assert [e["key"] for e in events(fi, entity="customer", key="FI01/C100")] == ["FI01/C100"]
    assert {e["key"] for e in events(fi, entity="customer")} == {
        "FI01/C100",
        "FI01/C200",
        "NO01/C100",
    }
    assert events(fi, entity="customer", key="FI01/C999") == []
    assert [e["entity"] for e in events(fi, entity="legal_entity")] == ["legal_entity"] * 2


def test_a_refused_change_leaves_no_audit_event(fi: Api) -> None:
    fi.customer("FI01", "C100", "10000.00 EUR")
    fi.credit_parameters("FI01", allow_manual_limit_edit=False)

    r = fi.put(
        "/legal-entities/FI01/customers/C100",
        {"name": "Customer C100", "credit": {"limit": m("20000.00 EUR")}},
    )

    Api.problem(r, 409, "manual_limit_edit_disabled")
    assert [e["action"] for e in events(fi, entity="customer", key="FI01/C100")] == ["create"]
    customer = fi.get("/legal-entities/FI01/customers/C100").json()
    assert customer["credit"]["limit"] == m("10000.00 EUR")


def test_a_viewers_refused_change_leaves_no_audit_event(fi: Api) -> None:
    fi.customer("FI01", "C100", "10000.00 EUR")
    viewer = fi.as_token(fi.new_token("viewer"))

    r = viewer.put("/legal-entities/FI01/customers/C100", {"name": "renamed"})

    Api.problem(r, 403, "forbidden")
    assert [e["action"] for e in events(fi, entity="customer", key="FI01/C100")] == ["create"]


def test_setup_changes_and_hold_decisions_are_audited(fi: Api) -> None:
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "500.00 EUR")
    fi.credit_parameters("FI01", credit_limit_type="balance_and_packing_slips")
    hold_id = fi.check("FI01", "SO-1")["hold"]["id"]
    fi.post(f"/credit-holds/{hold_id}/release", {"reason": "AUTO"})
    fi.group("G1", "1000.00 EUR")

    params = events(fi, entity="credit_parameters", key="FI01")
    hold = events(fi, entity="credit_hold", key=hold_id)
    group = events(fi, entity="credit_group", key="G1")

    assert params[-1]["before"]["credit_limit_type"] == "balance_and_all"
    assert params[-1]["after"]["credit_limit_type"] == "balance_and_packing_slips"
    assert [e["action"] for e in hold] == ["release"]
    assert hold[0]["before"]["status"] == "on_hold"
    assert hold[0]["after"]["status"] == "released"
    assert [e["action"] for e in group] == ["create"]
    assert group[0]["after"]["limit"] == m("1000.00 EUR")


def test_the_audit_trail_comes_in_pages_in_order(fi: Api) -> None:
    for n in range(5):
        fi.customer("FI01", "C100", f"{n + 1}000.00 EUR")

    first = fi.get("/audit-events", entity="customer", limit=2).json()
    second = fi.get("/audit-events", entity="customer", limit=2, cursor=first["next_cursor"]).json()
    third = fi.get("/audit-events", entity="customer", limit=2, cursor=second["next_cursor"]).json()
    after = fi.get("/audit-events", entity="customer", after=str(first["items"][-1]["id"])).json()

    pages = first["items"] + second["items"] + third["items"]
    assert [e["action"] for e in pages] == ["create"] + ["update"] * 4
    assert [e["id"] for e in pages] == sorted(e["id"] for e in pages)
    assert third["next_cursor"] is None
    assert after["items"] == second["items"] + third["items"]


def test_the_audit_trail_is_for_unscoped_callers_only(fi: Api) -> None:
    scoped = fi.as_token(fi.new_token("admin", ["FI01"]))
    viewer = fi.as_token(fi.new_token("viewer"))

    Api.problem(scoped.get("/audit-events"), 403, "forbidden")
    assert viewer.get("/audit-events").status_code == 200
