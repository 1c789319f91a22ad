"""``creditdesk db restore`` puts a ``db backup`` copy back: whole or not at all, only a copy
that passes SQLite's integrity check at a schema revision this version knows, and never under
a server that has the database open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.entrypoints.cli.main import app
from creditdesk.service_layer import setup
from creditdesk.service_layer.auth import SYSTEM
from tests.e2e.test_cli import one_error_line, stdout


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def entities(url: str) -> list[str]:
    rt = build_runtime(Settings(database_url=url))
    try:
        return sorted(le["id"] for le in setup.list_legal_entities(rt, SYSTEM))
    finally:
        dispose(rt)


def add_entity(url: str, le: str) -> None:
    rt = build_runtime(Settings(database_url=url))
    try:
        setup.put_legal_entity(rt, SYSTEM, le, f"Contoso {le}", "EUR")
    finally:
        dispose(rt)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "live.db"
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("CREDITDESK_ADMIN_TOKEN", raising=False)
    assert run("db", "upgrade").exit_code == 0
    add_entity(f"sqlite:///{path}", "FI01")
    return path


@pytest.fixture
def backup(database: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "backups" / "monday.db"
    assert run("db", "backup", str(copy)).exit_code == 0
    add_entity(f"sqlite:///{database}", "SE01")  # the work after the backup
    return copy


def test_restore_puts_the_database_back_as_it_was_at_the_backup(
    database: Path, backup: Path
) -> None:
    url = f"sqlite:///{database}"
    assert entities(url) == ["FI01", "SE01"]

    result = run("db", "restore", str(backup), "--force")

    assert result.exit_code == 0, result.output
    assert stdout(result).startswith(f"restored {database} from {backup} (schema revision ")
    assert entities(url) == ["FI01"]
    assert run("db", "check").exit_code == 0


def test_restore_onto_a_new_machine_creates_the_database(
    backup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "new-host" / "creditdesk.db"
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", f"sqlite:///{fresh}")

    result = run("db", "restore", str(backup))

    assert result.exit_code == 0, result.output
    assert entities(f"sqlite:///{fresh}") == ["FI01"]


def test_restore_over_an_existing_database_needs_force(database: Path, backup: Path) -> None:
    line = one_error_line(run("db", "restore", str(backup)))

    assert line == f"error: {database} exists; pass --force to replace it with the backup"
    assert entities(f"sqlite:///{database}") == ["FI01", "SE01"]


def test_restore_is_refused_while_a_server_has_the_database_open(
    database: Path, backup: Path
) -> None:
    url = f"sqlite:///{database}"
    server = build_runtime(Settings(database_url=url))  # its pool keeps a connection open
    try:
        setup.list_legal_entities(server, SYSTEM)

        line = one_error_line(run("db", "restore", str(backup), "--force"))
    finally:
        dispose(server)

    assert line.startswith(f"error: the database {database} is in use: stop the creditdesk")
    assert entities(url) == ["FI01", "SE01"]


def test_restore_refuses_a_file_that_is_not_a_sqlite_database(
    database: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)

    line = one_error_line(run("db", "restore", str(junk), "--force"))

    assert line.startswith(f"error: {junk} is not a usable backup: ")
    assert entities(f"sqlite:///{database}") == ["FI01"]


def test_restore_refuses_a_copy_that_fails_the_integrity_check(
    database: Path, backup: Path
) -> None:
    data = bytearray(backup.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(page * 2, len(data), page):  # scribble over every page but the first
        data[offset + 8 : offset + 40] = b"\xff" * 32
    backup.write_bytes(bytes(data))

    line = one_error_line(run("db", "restore", str(backup), "--force"))

    assert line.startswith(f"error: {backup} is not a usable backup: ")
    assert entities(f"sqlite:///{database}") == ["FI01", "SE01"]


def test_restore_refuses_a_sqlite_file_without_a_creditdesk_schema(
    database: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()

    line = one_error_line(run("db", "restore", str(other), "--force"))

    assert line.startswith(f"error: {other} is not a usable backup: no such table: alembic_version")


def test_restore_refuses_a_backup_from_a_newer_version(database: Path, backup: Path) -> None:
    with sqlite3.connect(backup) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()

    line = one_error_line(run("db", "restore", str(backup), "--force"))

    assert line == (
        f"error: {backup} is not a usable backup: its schema revision 9999 is unknown to this "
        "creditdesk (made by a newer version?); upgrade creditdesk first"
    )
    assert entities(f"sqlite:///{database}") == ["FI01", "SE01"]


def test_restore_of_a_missing_backup_fails_with_one_line(database: Path, tmp_path: Path) -> None:
    line = one_error_line(run("db", "restore", str(tmp_path / "nope.db"), "--force"))

    assert line == f"error: the backup {tmp_path / 'nope.db'} does not exist"


def test_restore_on_postgresql_points_to_pg_restore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")

    line = one_error_line(run("db", "restore", "any.dump"))

    assert line == (
        "error: db restore is for SQLite databases; on PostgreSQL use pg_dump and pg_restore"
    )
