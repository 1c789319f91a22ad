"""``creditdesk holds|rules|setup|events`` driven with Typer's runner against the Nordic demo
in a SQLite file named by ``CREDITDESK_DATABASE_URL``: the hold list and its actions, the
blocking rules, the setup data and the event outbox. What a command did is read back through the
service layer; errors are one line on stderr and a non-zero exit code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from typer.testing import CliRunner, Result

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.entrypoints.cli.main import app
from creditdesk.service_layer import events, holds, setup
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli' / 'creditdesk.db'}"
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", url)
    monkeypatch.delenv("CREDITDESK_ADMIN_TOKEN", raising=False)
    result = run("demo")
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def rt(demo: str) -> Iterator[Runtime]:
    runtime = build_runtime(Settings(database_url=demo))
    yield runtime
    dispose(runtime)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    """Run a command that must succeed; its stdout without styles, wrapped lines joined."""
    result = run(*args)
    assert result.exit_code == 0, result.output
    return " ".join(Text.from_ansi(result.stdout).plain.split())


def one_error_line(result: Result) -> str:
    assert result.exit_code != 0, result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = Text.from_ansi(result.stderr).plain.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def open_holds(
    rt: Runtime, legal_entity: str | None = None, **filters: Any
) -> list[dict[str, Any]]:
    return holds.list_holds(
        rt, SYSTEM, status="on_hold", legal_entity=legal_entity, customer=None, **filters
    )


def a_hold(rt: Runtime) -> dict[str, Any]:
    found = open_holds(rt)
    assert found, "the demo leaves holds on the list"
    return found[0]


# --- holds --------------------------------------------------------------------------------------


def test_holds_list_prints_the_open_holds_and_their_count(rt: Runtime) -> None:
    expected = open_holds(rt)

    printed = ok("holds", "list")

    assert printed.endswith(f"{len(expected)} hold(s)")
    only_fi = ok("holds", "list", "--legal-entity", "FI01")
    in_fi = [h for h in expected if h["legal_entity"] == "FI01"]
    assert only_fi.endswith(f"{len(in_fi)} hold(s)")
    assert ok("holds", "list", "--status", "rejected").endswith("0 hold(s)")


def test_holds_list_with_an_unknown_status_fails_with_one_error_line(demo: str) -> None:
    line = one_error_line(run("holds", "list", "--status", "bogus"))

    assert "status must be one of" in line
    assert line.endswith("(invalid_input)")


def test_holds_release_closes_the_hold_with_its_reason_review_date_and_posting(
    rt: Runtime,
) -> None:
    hold = a_hold(rt)

    printed = ok(
        "holds",
        "release",
        hold["id"],
        "--reason",
        "REL-OK",
        "--review-date",
        "2027-01-15",
        "--with-posting",
    )

    assert printed == f"{hold['id']} released ({hold['sales_order']})"
    released = holds.get_hold(rt, SYSTEM, hold["id"])
    assert released["status"] == "released"
    assert released["release_reason"] == "REL-OK"
    assert released["review_date"] == "2027-01-15"
    assert released["with_posting"] is True
    assert [h["action"] for h in released["history"]][-1] == "released"
    again = one_error_line(run("holds", "release", hold["id"]))
    assert again.endswith("(hold_not_open)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--reason", "NO-SUCH"), "(unknown_reason)"),
        (("--review-date", "15.01.2027"), "is not a date (YYYY-MM-DD)"),
    ],
)
def test_holds_release_with_a_bad_reason_or_date_fails_and_leaves_the_hold_open(
    rt: Runtime, args: tuple[str, ...], message: str
) -> None:
    hold = a_hold(rt)

    line = one_error_line(run("holds", "release", hold["id"], *args))

    assert message in line
    assert holds.get_hold(rt, SYSTEM, hold["id"])["status"] == "on_hold"


def test_holds_release_of_an_unknown_hold_fails_with_one_error_line(demo: str) -> None:
    assert one_error_line(run("holds", "release", "hold_nope")).endswith("(hold_not_found)")


def test_holds_reject_rejects_the_hold_and_its_order(rt: Runtime) -> None:
    hold = a_hold(rt)

    printed = ok("holds", "reject", hold["id"], "--reason", "REJ-RISK", "--note", "too risky")

    assert printed == f"{hold['id']} rejected ({hold['sales_order']})"
    rejected = holds.get_hold(rt, SYSTEM, hold["id"])
    assert (rejected["status"], rejected["reject_reason"], rejected["note"]) == (
        "rejected",
        "REJ-RISK",
        "too risky",
    )
    assert one_error_line(run("holds", "reject", hold["id"])).endswith("(hold_not_open)")


def test_holds_evaluate_reevaluates_every_open_hold_of_a_legal_entity_and_is_safe_to_rerun(
    rt: Runtime,
) -> None:
    before = open_holds(rt, legal_entity="FI01")
    elsewhere = {h["id"] for h in open_holds(rt)} - {h["id"] for h in before}

    printed = ok("holds", "evaluate", "--legal-entity", "FI01")

    released = int(printed.split(" evaluated, ")[1].split()[0])
    assert printed.endswith(f"{len(before)} evaluated, {released} released")
    assert len(open_holds(rt, legal_entity="FI01")) == len(before) - released
    for hold in open_holds(rt, legal_entity="FI01"):
        assert holds.get_hold(rt, SYSTEM, hold["id"])["history"][-1]["action"] == "evaluated"
    for hold_id in elsewhere:
        assert holds.get_hold(rt, SYSTEM, hold_id)["history"][-1]["action"] != "evaluated"
    assert ok("holds", "evaluate", "--legal-entity", "FI01").endswith(
        f"{len(before) - released} evaluated, 0 released"
    )


def test_holds_evaluate_without_holds_or_a_legal_entity_refuses_and_changes_nothing(
    rt: Runtime,
) -> None:
    before = open_holds(rt)

    result = run("holds", "evaluate")

    assert result.exit_code != 0
    assert "--legal-entity" in result.output
    assert open_holds(rt) == before


def test_holds_force_puts_a_customers_open_orders_on_hold_with_the_reason(rt: Runtime) -> None:
    printed = ok("holds", "force", "FI01", "--reason", "F1", "--customer", "C200")

    forced = [h for h in open_holds(rt, reason="forced") if h["customer"] == "C200"]
    assert printed.endswith(f"{len(forced)} order(s) on forced hold")
    assert forced
    for hold in forced:
        assert hold["legal_entity"] == "FI01"
        assert any(r["details"] == {"reason": "F1"} for r in hold["reasons"])


def test_holds_force_with_a_reason_that_is_not_a_hold_reason_fails(rt: Runtime) -> None:
    line = one_error_line(run("holds", "force", "FI01", "--reason", "REL-OK"))

    assert line.endswith("(unknown_reason)")
    assert open_holds(rt, reason="forced") == []


# --- rules --------------------------------------------------------------------------------------


def test_rules_add_list_and_remove(rt: Runtime) -> None:
    before = setup.list_rules(rt, SYSTEM, "FI01")

    added = ok("rules", "add", "FI01", "--rule", "days_overdue", "--value", "61")

    rule_id = added.split(":")[0]
    after = setup.list_rules(rt, SYSTEM, "FI01")
    assert [r["id"] for r in after] == [r["id"] for r in before] + [rule_id]
    assert added == f"{rule_id}: {after[-1]['description']}"
    assert after[-1]["value"] == "61"
    listed = ok("rules", "list", "FI01")
    assert "days_overdue" in listed
    assert ok("rules", "remove", "FI01", rule_id) == f"removed {rule_id}"
    assert setup.list_rules(rt, SYSTEM, "FI01") == before
    assert one_error_line(run("rules", "remove", "FI01", rule_id)).endswith("(rule_not_found)")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--rule", "credit_limit_used", "--value-type", "days", "--value", "90"), "invalid_rule"),
        (("--rule", "no_such_rule"), "invalid_rule"),
        (("--rule", "account_status", "--account-status", "NOPE"), "unknown_account_status"),
        (
            (
                "--rule",
                "days_overdue",
                "--value",
                "1",
                "--valid-for",
                "group",
                "--account-or-group",
                "NOPE",
            ),
            "unknown_credit_management_group",
        ),
        (("--rule", "days_overdue", "--value", "many"), "invalid_amount"),
    ],
)
def test_rules_add_with_a_rule_that_does_not_fit_fails_with_one_error_line(
    rt: Runtime, args: tuple[str, ...], code: str
) -> None:
    before = setup.list_rules(rt, SYSTEM, "FI01")

    line = one_error_line(run("rules", "add", "FI01", *args))

    assert line.endswith(f"({code})")
    assert setup.list_rules(rt, SYSTEM, "FI01") == before


# --- setup --------------------------------------------------------------------------------------


def test_setup_commands_save_reasons_statuses_groups_and_ranks(rt: Runtime) -> None:
    assert ok("setup", "reason", "FI01", "H9", "--type", "hold", "--description", "Watch") == (
        "reason H9 saved"
    )
    assert ok(
        "setup", "status", "FI01", "WATCH", "--description", "On watch", "--on-hold", "invoicing"
    ) == ("account status WATCH saved")
    assert ok("setup", "cm-group", "FI01", "RETAIL", "--description", "Retail") == (
        "credit management group RETAIL saved"
    )
    assert ok("setup", "rank", "FI01", "payment_terms", "Net60", "20") == (
        "payment_terms Net60 ranked 20"
    )

    assert {"id": "H9", "type": "hold", "description": "Watch"} in setup.list_reasons(
        rt, SYSTEM, "FI01"
    )
    assert {"id": "WATCH", "description": "On watch", "on_hold": "invoicing"} in (
        setup.list_account_statuses(rt, SYSTEM, "FI01")
    )
    assert {"id": "RETAIL", "description": "Retail"} in setup.list_credit_management_groups(
        rt, SYSTEM, "FI01"
    )
    assert {"code": "Net60", "rank": 20} in setup.list_ranks(rt, SYSTEM, "FI01", "payment_terms")
    assert "H9" in ok("setup", "reasons", "FI01")
    assert "WATCH" in ok("setup", "statuses", "FI01")
    assert "RETAIL" in ok("setup", "cm-groups", "FI01")
    assert "Net60" in ok("setup", "ranks", "FI01", "payment_terms")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("reason", "FI01", "H9", "--type", "other", "--description", "x"), "(invalid_input)"),
        (("status", "FI01", "W", "--description", "x", "--on-hold", "never"), "(invalid_input)"),
        (("cm-group", "FI01", "ELEVENCHARS"), "(invalid_input)"),
        (("rank", "FI01", "colours", "Net60", "20"), "(invalid_input)"),
        (("reason", "XX99", "H9", "--type", "hold", "--description", "x"), "does not exist"),
    ],
)
def test_setup_commands_with_bad_input_fail_with_one_error_line(
    demo: str, args: tuple[str, ...], message: str
) -> None:
    assert message in one_error_line(run("setup", *args))


# --- events -------------------------------------------------------------------------------------


def test_events_list_prints_the_outbox_and_where_to_continue(rt: Runtime) -> None:
    items, last = events.list_events(rt, SYSTEM, after_id=0, limit=1000)
    assert items, "the demo's holds wrote events"

    printed = ok("events", "list", "--limit", "1000")

    assert printed.endswith(f"next: --after {last}")
    assert "hold.placed" in printed
    assert ok("events", "list", "--after", str(last)).endswith(f"next: --after {last}")


def test_events_deliver_runs_one_delivery_round(demo: str) -> None:
    assert ok("events", "deliver") == "0 delivered, 0 webhook(s) failing"
