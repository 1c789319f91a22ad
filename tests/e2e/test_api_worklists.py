"""The worklist of expiring limits (SPEC A-24, API.md v1.1 "Worklists") and the periodic task
that reviews them: customers' and groups' limits and temporary limits ending within N days,
or ended, soonest first, with the exposure they stand against."""

from __future__ import annotations

from typing import Any

import pytest

from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock, m

TODAY = "2026-11-23"


@pytest.fixture
def clock(runtime: Runtime) -> FixedClock:
    fixed = FixedClock(TODAY, hour=12)
    runtime.clock = fixed
    return fixed


@pytest.fixture
def fi(api: Api, clock: FixedClock) -> Api:
    """FI01: C1 expired 5 days ago, C2 ends in 10 days (order 300 open), C3 in 40 days,
    C4 has no expiry; C5 has a temporary limit ending in 15 days; group G1 (member C6) ends in
    20 days. NO01: N1 ends in 3 days."""
    api.legal_entity("FI01", "EUR")
    api.legal_entity("NO01", "NOK")
    api.customer("FI01", "C1", "1000.00 EUR", limit_expires_on="2026-11-18")
    api.customer("FI01", "C2", "1000.00 EUR", limit_expires_on="2026-12-03")
    api.customer("FI01", "C3", "1000.00 EUR", limit_expires_on="2027-01-02")
    api.customer("FI01", "C4", "1000.00 EUR")
    api.customer("FI01", "C5", "1000.00 EUR", limit_expires_on="2027-06-30")
    api.customer("FI01", "C6", "1000.00 EUR")
    api.customer("NO01", "N1", "1000.00 NOK", limit_expires_on="2026-11-26")
    api.order("FI01", "SO-2", "C2", "300.00 EUR")
    api.temporary_limit("FI01", "C5", "5000.00 EUR", "2026-11-01", "2026-12-08")
    api.group("G1", "9000.00 EUR", expires="2026-12-13")
    api.join("G1", "FI01", "C6")
    return api


def expiring(api: Api, **query: Any) -> list[dict[str, Any]]:
    r = api.get("/worklists/expiring-limits", **query)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_limits_ending_within_the_days_or_ended_are_listed_soonest_first(fi: Api) -> None:
    items = expiring(fi, legal_entity="FI01", within_days=30)

    assert [(i["kind"], i["account"] or i["credit_group"], i["days_left"]) for i in items] == [
        ("customer", "C1", -5),
        ("customer", "C2", 10),
        ("temporary_limit", "C5", 15),
        ("credit_group", "G1", 20),
        ("customer", "C6", 20),  # a member's expiry follows its group's
    ]
    c2 = items[1]
    assert (c2["limit"], c2["expires_on"], c2["exposure"]) == (
        m("1000.00 EUR"),
        "2026-12-03",
        m("300.00 EUR"),
    )
    assert items[2]["limit"] == m("5000.00 EUR")
    assert items[3]["legal_entity"] is None


def test_a_longer_horizon_adds_the_later_limits(fi: Api) -> None:
    accounts = {i["account"] for i in expiring(fi, legal_entity="FI01", within_days=60)}

    assert "C3" in accounts
    assert "C4" not in accounts


def test_a_scoped_caller_sees_its_legal_entities_and_the_groups_with_a_member_there(
    fi: Api,
) -> None:
    norway = fi.as_token(fi.new_token("viewer", ["NO01"]))

    items = expiring(norway, within_days=30)

    assert [(i["legal_entity"], i["account"]) for i in items] == [("NO01", "N1")]
    Api.problem(norway.get("/worklists/expiring-limits", legal_entity="FI01"), 403, "forbidden")


def test_the_worklist_pages_reach_every_limit_once(fi: Api) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = fi.get(
            "/worklists/expiring-limits",
            within_days=30,
            limit=2,
            **({"cursor": cursor} if cursor else {}),
        ).json()
        seen += [f"{i['kind']}:{i['account'] or i['credit_group']}" for i in page["items"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]

    assert len(seen) == len(set(seen)) == len(expiring(fi, within_days=30))


@pytest.mark.parametrize("within_days", ["-1", "100000", "x"])
def test_a_horizon_out_of_range_answers_422(fi: Api, within_days: str) -> None:
    r = fi.get("/worklists/expiring-limits", within_days=within_days)

    assert r.status_code == 422


def test_the_review_task_records_what_expires_as_its_figures(fi: Api) -> None:
    r = fi.put(
        "/legal-entities/FI01/schedules/expiring_limit_review",
        {"cron": "0 6 * * 1", "parameters": {"within_days": 30}},
    )
    assert r.status_code == 201, r.text

    run = fi.post("/legal-entities/FI01/schedules/expiring_limit_review/runs")

    assert run.status_code == 201, run.text
    figures = run.json()["figures"]
    assert {k: figures[k] for k in ("customers", "credit_groups", "temporary_limits")} == {
        "customers": 3,
        "credit_groups": 1,
        "temporary_limits": 1,
    }
    assert figures["expired"] == 1
    assert figures["limits"][0] == {
        "kind": "customer",
        "account": "C1",
        "credit_group": None,
        "expires_on": "2026-11-18",
        "days_left": -5,
    }


@pytest.mark.parametrize("parameters", [{"within_days": -3}, {"within_days": "30"}, {"days": 30}])
def test_the_review_task_refuses_parameters_it_does_not_take(
    fi: Api, parameters: dict[str, Any]
) -> None:
    r = fi.put(
        "/legal-entities/FI01/schedules/expiring_limit_review",
        {"interval_seconds": 86400, "parameters": parameters},
    )

    Api.problem(r, 422, "invalid_schedule")
    assert fi.get("/legal-entities/FI01/schedules").json()["items"] == []
