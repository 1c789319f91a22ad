"""``creditdesk db backup`` and ``creditdesk db check``: maintenance of a live database."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import load_settings
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.service_layer import maintenance


def register(db_app: typer.Typer) -> None:
    """Add the maintenance commands to the ``db`` group."""
    from creditdesk.entrypoints.cli.main import handled

    db_app.command("backup")(handled(db_backup))
    db_app.command("check")(handled(db_check))


def _fail(message: str) -> typer.Exit:
    from creditdesk.entrypoints.cli.main import fail

    return fail(message)


def db_backup(
    path: Annotated[Path, typer.Argument(help="where to write the copy (a new SQLite file)")],
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Copy a live SQLite database consistently (SQLite's online backup), while it serves."""
    from creditdesk.entrypoints.cli.main import out

    url = make_url(load_settings().database_url)
    if url.get_backend_name() != "sqlite":
        raise _fail("db backup copies SQLite databases; back PostgreSQL up with pg_dump")
    database = url.database
    if not database or database == ":memory:":
        raise _fail("db backup needs a SQLite database file")
    source_path = Path(database)
    if not source_path.exists():
        raise _fail(f"the database {source_path} does not exist")
    target_path = path
    if target_path.exists():
        if not force:
            raise _fail(f"{target_path} exists; pass --force to overwrite it")
        if target_path.resolve() == source_path.resolve():
            raise _fail("the backup cannot overwrite the database itself")
        target_path.unlink()
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(str(source_path), timeout=60)
    try:
        target = sqlite3.connect(str(target_path))
        try:
            # one step copies every page under one read transaction: a consistent snapshot
            source.backup(target)
            integrity = target.execute("PRAGMA integrity_check").fetchone()
        finally:
            target.close()
    finally:
        source.close()
    if integrity is None or integrity[0] != "ok":
        raise _fail(f"the copy in {target_path} failed its integrity check")
    size = target_path.stat().st_size
    out.print(f"backed up {source_path} to {target_path} ({size} bytes)", highlight=False)


def db_check(
    fix: Annotated[
        bool, typer.Option("--fix", help="set drifted running totals to the recomputed sums")
    ] = False,
) -> None:
    """Recompute all exposure from the documents; report drift (exit 1) or --fix it."""
    from creditdesk.entrypoints.cli.main import err, out

    rt = build_runtime(load_settings().model_copy(update={"admin_token": None}))
    try:
        report = maintenance.check_exposure(rt, cli_actor(), fix=fix)
    finally:
        dispose(rt)
    for drift in report.drifts:
        err.print(("fixed " if fix else "drift: ") + drift.describe(), highlight=False)
    checked = f"checked {report.customers} customers and {report.groups} credit groups"
    if report.clean:
        out.print(f"{checked}: every running total matches the documents", highlight=False)
        return
    outcome = "fixed" if fix else "drifted from the documents"
    out.print(f"{checked}: {len(report.drifts)} running totals {outcome}", highlight=False)
    if not fix:
        raise typer.Exit(1)
