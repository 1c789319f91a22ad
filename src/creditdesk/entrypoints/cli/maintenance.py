"""``creditdesk db backup``, ``db restore`` and ``db check``: maintenance of a live database."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from creditdesk.bootstrap import alembic_config, build_runtime, dispose
from creditdesk.config import load_settings
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.service_layer import maintenance


def register(db_app: typer.Typer) -> None:
    """Add the maintenance commands to the ``db`` group."""
    from creditdesk.entrypoints.cli.main import handled

    db_app.command("backup")(handled(db_backup))
    db_app.command("restore")(handled(db_restore))
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


def _sqlite_database(command: str) -> Path:
    url = make_url(load_settings().database_url)
    if url.get_backend_name() != "sqlite":
        raise _fail(
            f"db {command} is for SQLite databases; on PostgreSQL use pg_dump and pg_restore"
        )
    if not url.database or url.database == ":memory:":
        raise _fail(f"db {command} needs a SQLite database file")
    return Path(url.database)


def _backup_revision(backup: sqlite3.Connection, path: Path) -> str:
    """Check the copy is whole and a creditdesk database this version knows; its revision."""

    def unusable(why: str) -> typer.Exit:
        return _fail(f"{path} is not a usable backup: {why}")

    try:
        integrity = backup.execute("PRAGMA integrity_check").fetchall()
        if [row[0] for row in integrity] != ["ok"]:
            raise unusable("it fails SQLite's integrity check")
        row = backup.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise unusable(f"{error} (not a creditdesk SQLite database?)") from None
    if row is None:
        raise unusable("it has no schema revision")
    revision = str(row[0])
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    known = {r.revision for r in script.walk_revisions()}
    if revision not in known:
        raise unusable(
            f"its schema revision {revision} is unknown to this creditdesk "
            f"(made by a newer version?); upgrade creditdesk first"
        )
    return revision


def _lock_exclusively(path: Path) -> sqlite3.Connection:
    """A connection holding the database to itself until closed, or a clear refusal.

    In WAL mode every open connection (an idle one in a server's pool too) keeps a shared lock,
    so the exclusive lock is refused while any server, scheduler or command has it open."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    try:
        target.execute("PRAGMA locking_mode=EXCLUSIVE")
        target.execute("BEGIN EXCLUSIVE")
        target.execute("COMMIT")  # exclusive locking mode keeps the lock after the commit
    except sqlite3.OperationalError:
        target.close()
        raise _fail(
            f"the database {path} is in use: stop the creditdesk servers, schedulers and "
            f"commands using it, then restore"
        ) from None
    return target


def db_restore(
    path: Annotated[Path, typer.Argument(help="a copy made by `creditdesk db backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace the database if it exists")
    ] = False,
) -> None:
    """Replace the SQLite database with a backup, in one transaction, while nothing uses it."""
    from creditdesk.entrypoints.cli.main import out

    database = _sqlite_database("restore")
    if not path.is_file():
        raise _fail(f"the backup {path} does not exist")
    if database.exists() and path.resolve() == database.resolve():
        raise _fail("the backup is the database itself")
    if database.exists() and not force:
        raise _fail(f"{database} exists; pass --force to replace it with the backup")
    backup = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        revision = _backup_revision(backup, path)
        target = _lock_exclusively(database)
        try:
            # one step: every page in one transaction, rolled back whole if interrupted
            backup.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    finally:
        backup.close()
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    upgrade = "" if revision == head else "; run `creditdesk db upgrade` to bring it up to date"
    out.print(
        f"restored {database} from {path} (schema revision {revision}){upgrade}",
        highlight=False,
    )


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
