"""Periodic task schedules per legal entity through the API, and the scheduler's rounds
(``scheduling.run_due``) on a clock the tests move: one run per period, every run recorded
with its outcome and figures, runs of dead processes closed as failed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

import pytest

from creditdesk.entrypoints.api.read_models import TaskName
from creditdesk.service_layer import scheduling
from creditdesk.service_layer.ports import Schedule, TaskRun
from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock


@pytest.fixture
def clock(runtime: Runtime) -> FixedClock:
    fixed = FixedClock("2026-11-23", hour=12)
    runtime.clock = fixed
    return fixed


@pytest.fixture
def fi(api: Api, clock: FixedClock) -> Api:
    """FI01 and SE01, each with a customer of limit 100 whose order of 500 is on hold."""
    for le, currency in (("FI01", "EUR"), ("SE01", "SEK")):
        api.legal_entity(le, currency)
        api.reason(le, "F1", "hold", "Forced hold")
        api.customer(le, "C100", f"100.00 {currency}")
        api.order(le, "SO-1", "C100", f"500.00 {currency}")
        decision = api.check(le, "SO-1", as_of=clock.today().isoformat())
        assert decision["decision"] == "on_hold", decision
    return api


def runs(api: Api, **filters: Any) -> list[dict[str, Any]]:
    r = api.get("/task-runs", **filters)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_the_api_names_exactly_the_tasks_the_scheduler_knows() -> None:
    assert set(get_args(TaskName)) == set(scheduling.TASKS)


def test_a_schedule_is_set_read_changed_listed_and_removed(fi: Api) -> None:
    r = fi.put("/legal-entities/FI01/schedules/update_risk_scores", {"interval_seconds": 86400})
    assert r.status_code == 201, r.text
    assert r.json()["interval_seconds"] == 86400
    assert r.json()["cron"] is None
    assert r.json()["enabled"] is True

    r = fi.put(
        "/legal-entities/FI01/schedules/update_risk_scores", {"cron": "0 2 * * *", "enabled": False}
    )
    assert r.status_code == 200, r.text
    got = fi.get("/legal-entities/FI01/schedules/update_risk_scores").json()
    assert (got["cron"], got["interval_seconds"], got["enabled"]) == ("0 2 * * *", None, False)

    listed = fi.get("/legal-entities/FI01/schedules").json()
    assert [s["task"] for s in listed["items"]] == ["update_risk_scores"]
    assert listed["has_more"] is False
    assert fi.get("/legal-entities/SE01/schedules").json()["items"] == []

    assert fi.delete("/legal-entities/FI01/schedules/update_risk_scores").status_code == 204
    r = fi.get("/legal-entities/FI01/schedules/update_risk_scores")
    Api.problem(r, 404, "schedule_not_found")
    Api.problem(
        fi.delete("/legal-entities/FI01/schedules/update_risk_scores"), 404, "schedule_not_found"
    )


@pytest.mark.parametrize(
    ("task", "body", "status", "code"),
    [
        ("no_such_task", {"interval_seconds": 60}, 404, "task_not_found"),
        ("aging_snapshot", {}, 422, "invalid_schedule"),
        ("aging_snapshot", {"interval_seconds": 60, "cron": "* * * * *"}, 422, "invalid_schedule"),
        ("aging_snapshot", {"interval_seconds": 0}, 422, "invalid_schedule"),
        ("aging_snapshot", {"cron": "61 * * * *"}, 422, "invalid_schedule"),
        ("aging_snapshot", {"cron": "* * * * * *"}, 422, "invalid_schedule"),
        (
            "aging_snapshot",
            {"interval_seconds": 60, "parameters": {"x": 1}},
            422,
            "invalid_schedule",
        ),
        ("force_credit_hold", {"interval_seconds": 60}, 422, "invalid_schedule"),
        (
            "force_credit_hold",
            {"interval_seconds": 60, "parameters": {"reason": "F1", "customers": "C100"}},
            422,
            "invalid_schedule",
        ),
    ],
)
def test_a_bad_schedule_is_refused_with_a_stable_code_and_nothing_is_stored(
    fi: Api, task: str, body: dict[str, Any], status: int, code: str
) -> None:
    Api.problem(fi.put(f"/legal-entities/FI01/schedules/{task}", body), status, code)
    assert fi.get("/legal-entities/FI01/schedules").json()["items"] == []


def test_a_schedule_of_an_unknown_legal_entity_is_refused(fi: Api) -> None:
    r = fi.put("/legal-entities/XX99/schedules/aging_snapshot", {"interval_seconds": 60})
    Api.problem(r, 404, "legal_entity_not_found")


def test_a_token_of_another_legal_entity_can_neither_set_nor_see_a_schedule(fi: Api) -> None:
    se = fi.as_token(fi.new_token("credit_manager", ["SE01"]))
    r = se.put("/legal-entities/FI01/schedules/aging_snapshot", {"interval_seconds": 60})
    Api.problem(r, 403, "forbidden")
    clerk = fi.as_token(fi.new_token("credit_clerk", ["FI01"]))
    r = clerk.put("/legal-entities/FI01/schedules/aging_snapshot", {"interval_seconds": 60})
    Api.problem(r, 403, "forbidden")
    assert fi.get("/legal-entities/FI01/schedules").json()["items"] == []


def test_each_period_runs_once_however_many_rounds_and_processes_look_at_it(
    fi: Api, runtime: Runtime, clock: FixedClock
) -> None:
    fi.put("/legal-entities/FI01/schedules/evaluate_for_release", {"interval_seconds": 60})
    clock.advance(seconds=60)  # 12:01:00, the first period that began after it was set
    first = scheduling.run_due(runtime, "process-a")
    again = scheduling.run_due(runtime, "process-b")
    clock.advance(seconds=30)
    still = scheduling.run_due(runtime, "process-b")
    clock.advance(seconds=30)
    second = scheduling.run_due(runtime, "process-b")

    assert [r["period"] for r in first.ran] == ["2026-11-23T12:01:00Z"]
    assert again.ran == still.ran == []
    assert [(r["period"], r["host"]) for r in second.ran] == [("2026-11-23T12:02:00Z", "process-b")]
    recorded = runs(fi, task="evaluate_for_release")
    assert [r["period"] for r in recorded] == ["2026-11-23T12:02:00Z", "2026-11-23T12:01:00Z"]
    assert all(r["outcome"] == "succeeded" and r["finished_at"] for r in recorded)


def test_the_period_in_which_a_schedule_is_set_is_not_run(
    fi: Api, runtime: Runtime, clock: FixedClock
) -> None:
    clock.advance(seconds=30)  # 12:00:30: the daily period began at 00:00
    fi.put("/legal-entities/FI01/schedules/aging_snapshot", {"interval_seconds": 86400})
    assert scheduling.run_due(runtime, "p").ran == []
    clock.set_day("2026-11-24", hour=0)
    assert [r["period"] for r in scheduling.run_due(runtime, "p").ran] == ["2026-11-24T00:00:00Z"]


def test_a_cron_schedule_runs_at_its_firings(fi: Api, runtime: Runtime, clock: FixedClock) -> None:
    clock.advance(seconds=30)
    fi.put("/legal-entities/FI01/schedules/aging_snapshot", {"cron": "*/15 * * * *"})
    clock.advance(minutes=13, seconds=30)
    assert scheduling.run_due(runtime, "p").ran == []  # 12:14: still the 12:00 period
    clock.advance(minutes=1)
    assert [r["period"] for r in scheduling.run_due(runtime, "p").ran] == ["2026-11-23T12:15:00Z"]
    clock.advance(minutes=14, seconds=59)
    assert scheduling.run_due(runtime, "p").ran == []


def test_evaluate_for_release_runs_over_the_schedules_legal_entity_only(
    fi: Api, runtime: Runtime, clock: FixedClock
) -> None:
    fi.put("/legal-entities/FI01/schedules/evaluate_for_release", {"interval_seconds": 60})
    fi.customer("FI01", "C100", "1000.00 EUR")  # the hold's reason has cleared in FI01 only
    clock.advance(seconds=60)
    [run] = scheduling.run_due(runtime, "p").ran
    assert run["legal_entity"] == "FI01"
    assert run["figures"] == {"evaluated": 1, "released": 1, "errors": 0}
    assert [h["legal_entity"] for h in fi.holds(status="on_hold")] == ["SE01"]


def test_an_aging_snapshot_keeps_the_totals_as_the_runs_figures(
    fi: Api, runtime: Runtime, clock: FixedClock
) -> None:
    fi.invoice("FI01", "INV-1", "C100", "250.00 EUR", "2026-10-01", "2026-10-31")
    fi.put("/legal-entities/FI01/schedules/aging_snapshot", {"interval_seconds": 60})
    clock.advance(seconds=60)
    [run] = scheduling.run_due(runtime, "p").ran
    assert run["figures"]["as_of"] == "2026-11-23"
    assert [t["total"] for t in run["figures"]["totals"]] == [
        {"amount": "250.00", "currency": "EUR"}
    ]


def test_force_credit_hold_puts_the_matching_open_orders_on_hold(
    fi: Api, runtime: Runtime, clock: FixedClock
) -> None:
    fi.customer("FI01", "C200", "10000.00 EUR")
    fi.order("FI01", "SO-2", "C200", "50.00 EUR")
    body = {"interval_seconds": 60, "parameters": {"reason": "F1", "customers": ["C200"]}}
    assert fi.put("/legal-entities/FI01/schedules/force_credit_hold", body).status_code == 201
    clock.advance(seconds=60)
    [run] = scheduling.run_due(runtime, "p").ran
    assert run["outcome"] == "succeeded", run
    assert run["figures"] == {"orders": 1, "created": 1}


def test_a_task_that_fails_is_recorded_as_failed_with_the_errors_code(
    fi: Api, runtime: Runtime, clock: FixedClock
) -> None:
    body = {"interval_seconds": 60, "parameters": {"reason": "NO-SUCH-REASON"}}
    fi.put("/legal-entities/FI01/schedules/force_credit_hold", body)
    clock.advance(seconds=60)
    [run] = scheduling.run_due(runtime, "p").ran
    assert run["outcome"] == "failed"
    assert run["figures"] is None
    assert run["error"].startswith("unknown_reason: "), run["error"]
    assert runs(fi, legal_entity="FI01")[0]["outcome"] == "failed"


def test_a_run_whose_process_died_is_recorded_as_failed_after_the_timeout(
    fi: Api, runtime: Runtime, clock: FixedClock
) -> None:
    started = clock.now()
    with runtime.uow() as uow:
        uow.schedules.claim(
            TaskRun(
                "run_dead",
                "aging_snapshot",
                "FI01",
                "2026-11-23T12:00:00Z",
                started,
                None,
                "running",
                None,
                None,
                "gone",
            )
        )
        uow.commit()
    clock.advance(minutes=59)
    assert scheduling.run_due(runtime, "p", timeout_seconds=3600).abandoned == 0
    assert runs(fi)[0]["outcome"] == "running"
    clock.advance(minutes=2)
    assert scheduling.run_due(runtime, "p", timeout_seconds=3600).abandoned == 1
    [run] = runs(fi)
    assert run["outcome"] == "failed"
    assert run["finished_at"] == clock.now().isoformat().replace("+00:00", "Z")


def test_a_disabled_schedule_does_not_run(fi: Api, runtime: Runtime, clock: FixedClock) -> None:
    fi.put(
        "/legal-entities/FI01/schedules/aging_snapshot", {"interval_seconds": 60, "enabled": False}
    )
    clock.advance(seconds=120)
    assert scheduling.run_due(runtime, "p").ran == []


def test_a_task_run_now_is_recorded_beside_the_scheduled_ones(fi: Api) -> None:
    r = fi.post("/legal-entities/FI01/schedules/aging_snapshot/runs")
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "succeeded"
    assert r.json()["period"].startswith("manual:")
    assert [run["id"] for run in runs(fi)] == [r.json()["id"]]


def test_task_runs_are_listed_newest_first_a_page_at_a_time_within_the_callers_entities(
    fi: Api, runtime: Runtime, clock: FixedClock
) -> None:
    for le in ("FI01", "SE01"):
        fi.put(f"/legal-entities/{le}/schedules/aging_snapshot", {"interval_seconds": 60})
    for _ in range(3):
        clock.advance(seconds=60)
        scheduling.run_due(runtime, "p")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = fi.get("/task-runs", limit=4, **({"cursor": cursor} if cursor else {})).json()
        seen.extend(r["id"] for r in page["items"])
        assert page["has_more"] is (page["next_cursor"] is not None)
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 6
    assert seen == sorted(seen, reverse=True)
    se = fi.as_token(fi.new_token("viewer", ["SE01"]))
    assert {r["legal_entity"] for r in runs(se)} == {"SE01"}
    Api.problem(se.get("/task-runs", legal_entity="FI01"), 403, "forbidden")
    Api.problem(fi.get("/task-runs", task="nope"), 404, "task_not_found")


def test_period_start_of_an_interval_is_aligned_to_the_epoch() -> None:
    schedule = Schedule(
        "FI01", "aging_snapshot", 3600, None, {}, True, datetime(2026, 1, 1, tzinfo=UTC)
    )
    at = datetime(2026, 11, 23, 12, 34, 56, tzinfo=UTC)
    assert scheduling.period_start(schedule, at) == datetime(2026, 11, 23, 12, tzinfo=UTC)
