"""``creditdesk schedule``, ``creditdesk runs`` and ``creditdesk scheduler run`` against a SQLite
file: schedules set, listed and removed from the command line, runs listed, and the scheduler
as a process of its own that runs a due task and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.service_layer import setup
from creditdesk.service_layer.auth import SYSTEM
from tests.e2e.test_cli import one_error_line, run, stdout, url

__all__ = ["url"]  # fixture


def legal_entity(database_url: str) -> None:
    upgrade_database(database_url)
    rt = build_runtime(Settings(database_url=database_url))
    try:
        setup.put_legal_entity(rt, SYSTEM, "FI01", "FI01 Oy", "EUR")
    finally:
        dispose(rt)


def test_a_schedule_is_set_listed_and_removed_from_the_command_line(url: str) -> None:
    legal_entity(url)
    result = run(
        "schedule",
        "set",
        "FI01",
        "force_credit_hold",
        "--cron",
        "0 2 * * *",
        "--param",
        "reason=F1",
        "--param",
        "customers=C100,C200",
    )
    assert result.exit_code == 0, result.stderr
    assert stdout(result) == "set: force_credit_hold for FI01, 0 2 * * *"
    result = run("schedule", "set", "FI01", "aging_snapshot", "--every", "3600", "--disabled")
    assert stdout(result) == "set: aging_snapshot for FI01, every 3600 s (disabled)"

    listed = json.loads(run("schedule", "list", "FI01", "--json").stdout)["items"]
    assert [(s["task"], s["enabled"]) for s in listed] == [
        ("aging_snapshot", False),
        ("force_credit_hold", True),
    ]
    assert listed[1]["parameters"] == {"reason": "F1", "customers": ["C100", "C200"]}
    assert "force_credit_hold" in stdout(run("schedule", "list"))

    assert run("schedule", "remove", "FI01", "aging_snapshot").exit_code == 0
    line = one_error_line(run("schedule", "remove", "FI01", "aging_snapshot"))
    assert line.endswith("(schedule_not_found)")


def test_a_bad_schedule_is_one_error_line_and_stores_nothing(url: str) -> None:
    legal_entity(url)
    line = one_error_line(run("schedule", "set", "FI01", "aging_snapshot"))
    assert line.endswith("(invalid_schedule)")
    line = one_error_line(run("schedule", "set", "FI01", "nightly", "--every", "60"))
    assert line.endswith("(task_not_found)")
    line = one_error_line(
        run("schedule", "set", "FI01", "aging_snapshot", "--every", "60", "--param", "oops")
    )
    assert "NAME=VALUE" in line
    assert json.loads(run("schedule", "list", "--json").stdout)["items"] == []


def test_the_scheduler_runs_due_tasks_as_a_process_of_its_own_until_sigterm(
    url: str, tmp_path: Path
) -> None:
    legal_entity(url)
    assert run("schedule", "set", "FI01", "aging_snapshot", "--every", "1").exit_code == 0
    env = {
        **os.environ,
        "CREDITDESK_DATABASE_URL": url,
        "CREDITDESK_SCHEDULER_TICK_SECONDS": "0.2",
        "CREDITDESK_LOG_FORMAT": "json",
    }
    creditdesk = Path(sys.executable).parent / "creditdesk"
    log = tmp_path / "scheduler.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(creditdesk), "scheduler", "run", "--no-webhooks"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 30
        runs: list[dict[str, object]] = []
        while time.monotonic() < deadline and len(runs) < 2:
            time.sleep(0.3)
            listed = json.loads(run("runs", "list", "--json").stdout)["items"]
            runs = [r for r in listed if r["outcome"] != "running"]  # one may be under way
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0, log.read_text()
    assert len(runs) >= 2, log.read_text()
    assert {r["outcome"] for r in runs} == {"succeeded"}
    assert len({r["period"] for r in runs}) == len(runs)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(line.get("task_run") for line in lines), lines  # each run is logged
    text = stdout(run("runs", "list", "--task", "aging_snapshot"))
    assert "aging_snapshot" in text
    assert "succeeded" in text
