"""The command line in scripts: ``--json`` on every list and show command, whole ids in tables
whatever the width, ``--version``, ``check --fail-on-hold`` and a clear word when PostgreSQL
support is not installed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from importlib import metadata
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import typer.main
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner, Result

from creditdesk.entrypoints.cli import output
from creditdesk.entrypoints.cli.main import EXIT_ON_HOLD, app


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def as_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One demo database for the module: these commands only read (a check adds a record)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('scripting') / 'creditdesk.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CREDITDESK_DATABASE_URL", url)
        patch.delenv("CREDITDESK_ADMIN_TOKEN", raising=False)
        result = run("demo")
        assert result.exit_code == 0, result.output
        yield url


@pytest.fixture
def env(demo: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", demo)
    monkeypatch.delenv("CREDITDESK_ADMIN_TOKEN", raising=False)
    return demo


def test_version_prints_the_installed_version_and_exits_zero() -> None:
    result = run("--version")

    assert result.exit_code == 0
    assert result.stdout.strip() == f"creditdesk {metadata.version('creditdesk')}"


LIST_COMMANDS = [
    ("holds", "list"),
    ("holds", "list", "--status", "released"),
    ("rules", "list", "FI01"),
    ("setup", "reasons", "FI01"),
    ("setup", "statuses", "FI01"),
    ("setup", "cm-groups", "FI01"),
    ("setup", "ranks", "FI01", "payment_terms"),
    ("journals", "list", "FI01"),
    ("user", "list"),
]


@pytest.mark.parametrize("command", LIST_COMMANDS, ids=" ".join)
def test_every_list_command_prints_a_json_array_with_json(env: str, command: tuple[str]) -> None:
    items = as_json(*command)

    assert isinstance(items, list)
    assert all(isinstance(item, dict) for item in items)


def test_holds_list_json_has_the_holds_the_table_shows_with_whole_ids(env: str) -> None:
    items = as_json("holds", "list")
    table = run("holds", "list")

    assert items, "the demo leaves holds on the list"
    assert {"id", "sales_order", "customer", "reasons", "status"} <= set(items[0])
    lines = Text.from_ansi(table.stdout).plain.splitlines()
    for item in items:
        # each id whole on one row, not cut short with "…" at the pipe's 80 columns
        assert any(f" {item['id']} " in line for line in lines), item["id"]
    assert "…" not in table.stdout


def test_events_list_json_has_the_items_and_where_to_continue(env: str) -> None:
    body = as_json("events", "list", "--limit", "3")

    assert set(body) == {"items", "next_after"}
    assert len(body["items"]) == 3
    assert body["next_after"] == body["items"][-1]["id"]


def test_journals_show_json_is_the_journal_with_its_lines(env: str) -> None:
    journal = as_json("journals", "list", "FI01")[0]

    shown = as_json("journals", "show", "FI01", journal["id"])

    assert shown["id"] == journal["id"]
    assert isinstance(shown["lines"], list)


def test_the_workflow_inbox_prints_json_for_the_token_given(env: str) -> None:
    created = run("token", "create", "--role", "approver")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()

    items = as_json("workflows", "inbox", "--token", token)

    assert isinstance(items, list)


def test_holds_evaluate_json_is_the_evaluation_without_a_progress_bar(env: str) -> None:
    hold = as_json("holds", "list")[0]

    results = as_json("holds", "evaluate", hold["id"])

    assert [item["id"] for item in results] == [hold["id"]]
    assert {"ready_to_release", "released"} <= set(results[0])


def test_aging_json_is_the_api_report(env: str) -> None:
    body = as_json("aging", "FI01", "--as-of", "2026-11-23")

    assert body["legal_entity"] == "FI01"
    assert {"customers", "totals"} <= set(body)


def test_check_json_is_the_stored_decision(env: str) -> None:
    body = as_json("check", "FI01", "SO-FI-5002")

    assert body["decision"] == "passed"
    assert body["id"].startswith("chk_")
    assert body["sales_order"] == "SO-FI-5002"


def test_check_fail_on_hold_exits_3_when_the_order_is_held(env: str) -> None:
    result = run("check", "FI01", "SO-FI-5003", "--as-of", "2026-11-23", "--fail-on-hold")

    assert result.exit_code == EXIT_ON_HOLD == 3
    assert Text.from_ansi(result.stdout).plain.split()[0] == "on_hold"


def test_check_fail_on_hold_exits_0_when_the_order_passes(env: str) -> None:
    result = run("check", "FI01", "SO-FI-5002", "--fail-on-hold", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decision"] == "passed"


def test_check_without_fail_on_hold_exits_0_on_hold(env: str) -> None:
    result = run("check", "FI01", "SO-FI-5003", "--as-of", "2026-11-23")

    assert result.exit_code == 0, result.output


def test_a_table_in_a_narrow_terminal_folds_a_long_id_instead_of_cutting_it() -> None:
    hold_id = "hold_01JD3X8Q2ZK7N4W5V6Y7T8R9S0"
    rows = output.table("hold", "legal entity", "sales order", "customer", "status", "reasons")
    rows.add_row(hold_id, "FI01", "SO-FI-5003", "C300", "on_hold", "credit_limit (individual)")
    screen = StringIO()

    Console(file=screen, width=40, force_terminal=False).print(rows)

    cells = [line.split("│")[1].strip() for line in screen.getvalue().splitlines() if "│" in line]
    assert "".join(cells) == hold_id  # in pieces, every character kept
    assert "…" not in screen.getvalue()


def test_results_are_not_wrapped_when_stdout_is_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", StringIO())

    assert output.stdout_console().width == output.PIPED_WIDTH


def test_a_postgresql_url_without_the_driver_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed

    result = run("db", "upgrade")

    assert result.exit_code == 1
    message = " ".join(Text.from_ansi(result.stderr).plain.split())
    assert message == (
        "error: PostgreSQL support is not installed: pip install 'creditdesk[postgres]'"
    )


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(group, "commands", None)
    if subcommands is None:
        yield path, group
        return
    for name, command in subcommands.items():
        yield from commands(command, (*path, name))


LISTING = {"list", "show", "inbox", "reasons", "statuses", "cm-groups", "ranks", "evaluate"}


def test_every_list_and_show_command_has_a_json_option() -> None:
    """A new ``… list`` or ``… show`` command without ``--json`` fails here."""
    found = {
        " ".join(path): {opt for param in command.params for opt in getattr(param, "opts", [])}
        for path, command in commands(typer.main.get_command(app))
        if path[-1] in LISTING
    }

    assert len(found) >= 11
    assert [name for name, options in found.items() if "--json" not in options] == []


def test_json_output_is_ascii_so_any_code_page_carries_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output.print_json({"name": "Nordwind Sverige AB – Åre", "limit": "1 000 €"})

    printed = capsys.readouterr().out
    assert printed.isascii()
    assert json.loads(printed) == {"name": "Nordwind Sverige AB – Åre", "limit": "1 000 €"}
