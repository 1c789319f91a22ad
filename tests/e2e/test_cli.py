"""The ``creditdesk`` command line, driven with Typer's runner against a SQLite file named by
``CREDITDESK_DATABASE_URL``: migrate, load the Nordic demo, check an order, create a token
that the API then accepts. Errors are one line on stderr and a non-zero exit code."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from rich.text import Text
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner, Result

from creditdesk.adapters import tables as t
from creditdesk.bootstrap import alembic_config, build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.cli.main import app
from creditdesk.service_layer import checks, tokens, users
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.errors import AuthenticationError
from creditdesk.service_layer.runtime import Runtime
from tests.support import m

POLICY = users.SessionPolicy(timedelta(minutes=30), timedelta(hours=10))


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    database_url = f"sqlite:///{tmp_path / 'cli' / 'creditdesk.db'}"
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", database_url)
    monkeypatch.delenv("CREDITDESK_ADMIN_TOKEN", raising=False)
    return database_url


def plain(text: str) -> str:
    """The text without terminal styles (in case the console thinks it is a terminal)."""
    return Text.from_ansi(text).plain


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def wide(*args: str) -> Result:
    """Run on a terminal wide enough for a table of long ids and dates."""
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def stdout(result: Result) -> str:
    """What the command printed on stdout, without styles, wrapped lines joined."""
    return " ".join(plain(result.stdout).split())


def one_error_line(result: Result) -> str:
    assert result.exit_code != 0, result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = plain(result.stderr).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def demo(url: str) -> str:
    result = run("demo")
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def runtime_on(url: str) -> Iterator[Runtime]:
    rt = build_runtime(Settings(database_url=url))
    yield rt
    dispose(rt)


def count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(t.metadata.tables[table])
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_db_upgrade_creates_the_database_file_and_its_directory_at_the_latest_schema(
    url: str,
) -> None:
    result = run("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert stdout(result) == "database is at the latest schema"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    assert current == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert run("db", "upgrade").exit_code == 0


def test_demo_loads_three_nordic_legal_entities_with_holds_once(url: str) -> None:
    first = run("demo")

    assert first.exit_code == 0, first.output
    assert stdout(first).startswith("demo data loaded: 3 legal entities, 10 customers")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            entities = conn.execute(select(t.legal_entities.c.id)).scalars().all()
            held = conn.execute(
                select(func.count()).where(t.credit_holds.c.status == "on_hold")
            ).scalar_one()
    finally:
        engine.dispose()
    assert sorted(entities) == ["FI01", "NO01", "SE01"]
    assert held > 0
    decisions = count(url, "credit_checks")

    again = run("demo")

    assert again.exit_code == 0, again.output
    assert stdout(again) == "demo data is already loaded"
    assert count(url, "credit_checks") == decisions


def test_check_prints_the_decision_with_its_limits_and_explanation(demo: str) -> None:
    result = run("check", "FI01", "SO-FI-5002")

    assert result.exit_code == 0, result.output
    printed = stdout(result)
    assert printed.startswith("passed chk_")
    row = next(line for line in result.stdout.splitlines() if "individual" in line)
    # the limits table: C200's limit as raised by the demo's approved journal
    assert row.split("│")[1:3] == [" individual ", " 65000.00 EUR "]
    assert row.split("│")[-2].strip() == "yes"
    assert "Sales order SO-FI-5002 of customer FI01/C200 (Pohjolan Tekniikka Oy)" in printed
    assert printed.endswith("Decision: passed.")


def test_check_stores_the_decision_it_prints(demo: str, runtime_on: Runtime) -> None:
    result = run("check", "FI01", "SO-FI-5003", "--as-of", "2026-11-23")

    assert result.exit_code == 0, result.output
    check_id = stdout(result).split()[1]
    stored = checks.get_credit_check(runtime_on, SYSTEM, check_id)
    assert stored["sales_order"] == "SO-FI-5003"
    assert stored["as_of"] == "2026-11-23"
    assert stored["decision"] == "on_hold"  # it went on hold when the demo checked it
    assert stdout(result).startswith(f"on_hold {check_id}")
    assert "The order is already on hold" in stdout(result)
    assert stdout(result).endswith(f"hold: {stored['hold']['id']}")


def test_check_of_an_unknown_order_fails_with_one_clear_error_line(demo: str) -> None:
    result = run("check", "FI01", "NOPE")

    line = one_error_line(result)
    assert line == "error: sales order NOPE does not exist in FI01 (sales_order_not_found)"
    assert result.stdout == ""


def test_check_on_a_database_never_migrated_fails_with_one_line_that_says_what_to_do(
    url: str,
) -> None:
    result = run("check", "FI01", "SO-1")

    line = one_error_line(result)
    assert line.startswith("error: database error: no such table")
    assert line.endswith("(run `creditdesk db upgrade` first)")


def test_check_with_a_date_that_is_not_a_date_fails_with_one_error_line(demo: str) -> None:
    result = run("check", "FI01", "SO-FI-5002", "--as-of", "23.11.2026")

    assert "is not a date (YYYY-MM-DD)" in one_error_line(result)


def test_a_token_created_on_the_command_line_works_against_the_api_in_its_legal_entity(
    demo: str,
) -> None:
    result = run("token", "create", "--role", "integration", "--legal-entity", "FI01")

    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("cd_")
    assert "(integration, legal entities: FI01)" in plain(result.stderr)
    with TestClient(create_app(Settings(database_url=demo))) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        mine = client.get("/api/v1/legal-entities/FI01/customers/C100", headers=auth)
        assert mine.status_code == 200, mine.text
        pushed = client.put(
            "/api/v1/legal-entities/FI01/sales-orders/SO-CLI-1",
            json={"customer": "C100", "amount": m("10.00 EUR")},
            headers=auth,
        )
        assert pushed.status_code == 200, pushed.text
        other = client.get("/api/v1/legal-entities/NO01/customers/C100", headers=auth)
        assert other.status_code == 403, other.text
        push_other = client.put(
            "/api/v1/legal-entities/NO01/sales-orders/SO-CLI-1",
            json={"customer": "C100", "amount": m("10.00 NOK")},
            headers=auth,
        )
        assert push_other.status_code == 403, push_other.text
        anonymous = client.get("/api/v1/legal-entities/FI01/customers/C100")
        assert anonymous.status_code == 401, anonymous.text


def test_token_create_with_an_unknown_role_fails_without_printing_a_token(url: str) -> None:
    result = run("token", "create", "--role", "nonsense")

    line = one_error_line(result)
    assert "role must be one of admin, credit_manager" in line
    assert line.endswith("(invalid_input)")
    assert result.stdout == ""
    assert count(url, "api_tokens") == 0


# --- users, tokens and who ran a command --------------------------------------------------------


def test_user_disable_ends_the_users_sessions_and_records_the_os_user(
    demo: str, runtime_on: Runtime
) -> None:
    started = users.sign_in(runtime_on, "clerk", "creditdesk-demo", "127.0.0.1", POLICY)
    result = run("user", "disable", "clerk")
    assert result.exit_code == 0, result.output
    assert "user clerk disabled; 1 session(s) ended" in stdout(result)
    assert users.session_user(runtime_on, started.session_id, POLICY) is None
    with pytest.raises(AuthenticationError):
        users.sign_in(runtime_on, "clerk", "creditdesk-demo", "127.0.0.1", POLICY)
    assert "yes" in stdout(run("user", "list"))
    with runtime_on.uow(read_only=True) as uow:
        (event,) = [
            e for e in uow.audit.find("web_user", "clerk", None, 100) if e.action == "disable"
        ]
    assert event.actor == f"cli:{getpass.getuser()}"


def test_user_reset_password_sets_a_new_password_and_refuses_a_weak_one(
    demo: str, runtime_on: Runtime
) -> None:
    weak = CliRunner().invoke(
        app, ["user", "reset-password", "clerk"], input="12345678\n12345678\n"
    )
    assert weak.exit_code == 1
    assert "at least 12 characters (weak_password)" in plain(weak.stderr)
    started = users.sign_in(runtime_on, "clerk", "creditdesk-demo", "127.0.0.1", POLICY)
    result = CliRunner().invoke(
        app, ["user", "reset-password", "clerk"], input="lantern by the lake\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert "password of clerk set; 1 session(s) ended" in stdout(result)
    assert users.session_user(runtime_on, started.session_id, POLICY) is None
    users.sign_in(runtime_on, "clerk", "lantern by the lake", "127.0.0.1", POLICY)
    unknown = CliRunner().invoke(
        app, ["user", "reset-password", "nobody"], input="lantern by the lake\n" * 2
    )
    assert "(user_not_found)" in one_error_line(unknown)


def test_token_list_shows_expiry_and_last_use_and_token_revoke_ends_a_token(
    demo: str, runtime_on: Runtime
) -> None:
    created = run("token", "create", "--role", "viewer", "--name", "erp", "--expires-in-days", "7")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert tokens.authenticate(runtime_on, secret).name == "token:erp"
    (row,) = [t for t in tokens.list_tokens(runtime_on, SYSTEM) if t["name"] == "erp"]
    assert row["expires_at"] is not None
    assert row["last_used_at"] is not None
    listed = stdout(wide("token", "list"))
    assert row["id"] in listed
    assert row["expires_at"][:10] in listed
    revoked = run("token", "revoke", row["id"])
    assert revoked.exit_code == 0, revoked.output
    runtime_on.tokens.clear()
    with pytest.raises(AuthenticationError):
        tokens.authenticate(runtime_on, secret)
    assert row["id"] not in stdout(wide("token", "list"))
    assert row["id"] in stdout(wide("token", "list", "--all"))
    as_json = json.loads(run("token", "list", "--all", "--json").stdout)
    assert [t["revoked"] for t in as_json if t["id"] == row["id"]] == [True]
    assert row["id"] not in {t["id"] for t in json.loads(run("token", "list", "--json").stdout)}
    assert "(token_not_found)" in one_error_line(run("token", "revoke", "tok_nope"))
    with runtime_on.uow(read_only=True) as uow:
        trail = uow.audit.find("api_token", row["id"], None, 100)
    assert [(e.action, e.actor) for e in trail] == [
        ("create", f"cli:{getpass.getuser()}"),
        ("revoke", f"cli:{getpass.getuser()}"),
    ]
