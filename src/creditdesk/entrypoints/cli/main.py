"""The ``creditdesk`` command line (Typer + Rich).

Errors print one clear line to stderr and exit non-zero.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import date, timedelta
from importlib import metadata
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.markup import escape
from rich.table import Column, Table
from sqlalchemy.exc import SQLAlchemyError

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings, load_settings
from creditdesk.domain.errors import CreditDeskError
from creditdesk.domain.setup import Checkpoint
from creditdesk.entrypoints.cli import aging as aging_cli
from creditdesk.entrypoints.cli import credit as credit_cli
from creditdesk.entrypoints.cli import importer, output
from creditdesk.entrypoints.cli import lifecycle as lifecycle_cli
from creditdesk.entrypoints.cli import maintenance as maintenance_cli
from creditdesk.entrypoints.cli import scheduling as scheduling_cli
from creditdesk.entrypoints.cli import workflows as workflows_cli
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.entrypoints.cli.output import AsJson, print_json, stderr_console, stdout_console
from creditdesk.entrypoints.cli.users import user_app
from creditdesk.service_layer import checks, tokens
from creditdesk.service_layer.runtime import Runtime

app = typer.Typer(
    help="creditdesk: customer credit management across legal entities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema and maintenance.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(lifecycle_cli.journals_app, name="journals")
app.add_typer(lifecycle_cli.scoring_app, name="scoring")
app.add_typer(lifecycle_cli.statistics_app, name="statistics")
app.add_typer(user_app, name="user")

out = stdout_console()
err = stderr_console()

# `creditdesk check --fail-on-hold` exits with this when the order is held, so that a script
# tells a hold from an error (1) and from a usage mistake (2)
EXIT_ON_HOLD = 3


def _version(value: bool) -> None:
    if value:
        typer.echo(f"creditdesk {metadata.version('creditdesk')}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """creditdesk: customer credit management across legal entities."""


def _settings() -> Settings:
    return load_settings()


def _runtime(settings: Settings) -> Runtime:
    return build_runtime(settings)


def fail(message: str, code: int = 1) -> typer.Exit:
    # escaped: a message quoting input or "creditdesk[postgres]" is text, not Rich markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


P = ParamSpec("P")
R = TypeVar("R")


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """Print a creditdesk error as one line and exit 1 instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CreditDeskError as error:
            raise fail(f"{error} ({error.code})") from None
        except ModuleNotFoundError as error:
            if not (error.name or "").startswith("psycopg"):
                raise
            raise fail(
                "PostgreSQL support is not installed: pip install 'creditdesk[postgres]'"
            ) from None
        except OSError as error:
            raise fail(str(error)) from None
        except SQLAlchemyError as error:
            cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            if "no such table" in cause or "does not exist" in cause:
                cause += " (run `creditdesk db upgrade` first)"
            raise fail(f"database error: {cause}") from None

    return wrapper


@app.command()
@handled
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int | None, typer.Option(help="server processes")] = None,
    migrate: Annotated[
        bool | None,
        typer.Option(
            "--migrate/--no-migrate",
            help="migrate the database first (default: CREDITDESK_MIGRATE, true)",
        ),
    ] = None,
) -> None:
    """Migrate the database to the latest schema and serve the API and web app."""
    from creditdesk.entrypoints.cli.serving import serve_forever  # uvicorn only when serving
    from creditdesk.entrypoints.observability import configure_logging

    settings = _settings()
    configure_logging(settings)
    if settings.migrate if migrate is None else migrate:
        upgrade_database(settings.database_url)
    log = logging.getLogger("creditdesk")
    # a log line, not a print: with JSON logs every line the process writes is JSON; it is
    # written only once the port listens
    serve_forever(
        host or settings.host,
        port or settings.port,
        workers or settings.workers,
        announce=lambda line: log.info("%s", line),
    )


@db_app.command("upgrade")
@handled
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    settings = _settings()
    upgrade_database(settings.database_url)
    out.print("database is at the latest schema")


@app.command()
@handled
def demo() -> None:
    """Load the Nordic demo data (safe to run again: it loads once)."""
    from creditdesk.entrypoints.cli.demo import load_demo

    settings = _settings()
    upgrade_database(settings.database_url)
    rt = _runtime(settings)
    try:
        loaded = load_demo(rt, out)
    finally:
        dispose(rt)
    if not loaded:
        out.print("demo data is already loaded")


@app.command()
@handled
def check(
    legal_entity: Annotated[str, typer.Argument(help="legal entity, e.g. FI01")],
    sales_order: Annotated[str, typer.Argument(help="sales order id")],
    checkpoint: Annotated[Checkpoint, typer.Option(help="posting step")] = Checkpoint.CONFIRMATION,
    pro_forma: Annotated[bool, typer.Option("--pro-forma", help="a pro forma posting")] = False,
    as_of: Annotated[str | None, typer.Option(help="check date YYYY-MM-DD (default today)")] = None,
    fail_on_hold: Annotated[
        bool,
        typer.Option(
            "--fail-on-hold", help=f"exit with status {EXIT_ON_HOLD} when the order is held"
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Run a credit check on a sales order and print the explained decision."""
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    settings = _settings()
    rt = _runtime(settings)
    try:
        body = checks.run_credit_check(
            rt,
            cli_actor(),
            checks.CheckRequest(legal_entity, sales_order, checkpoint, not pro_forma, day),
        )
    finally:
        dispose(rt)
    if as_json:
        print_json(body)
    else:
        _print_decision(body)
    if fail_on_hold and body["decision"] == "on_hold":
        raise typer.Exit(EXIT_ON_HOLD)


def _print_decision(body: dict[str, Any]) -> None:
    colour = {"passed": "green", "on_hold": "red", "not_checked": "yellow"}[body["decision"]]
    out.print(f"[bold {colour}]{body['decision']}[/]  {body['id']}", highlight=False)
    for reason in body["reasons"]:
        scope = f" ({reason['scope']})" if reason.get("scope") else ""
        out.print(f"  • {reason['code']}{scope}: {reason['message']}", highlight=False)
    if body["limits"]:
        table = output.table("scope", "limit", "exposure before", "order", "available", "ok")
        for line in body["limits"]:
            table.add_row(
                line["scope"],
                f"{line['limit']['amount']} {line['limit']['currency']}",
                f"{line['exposure_before']['amount']}",
                f"{line['order']['amount']}",
                f"{line['available']['amount']}",
                "yes" if line["ok"] else "no",
            )
        out.print(table)
    out.print(body["explanation"], highlight=False)
    if body["hold"] is not None:
        out.print(f"hold: {body['hold']['id']}", highlight=False)


@token_app.command("create")
@handled
def token_create(
    role: Annotated[
        str,
        typer.Option(help="admin, credit_manager, credit_clerk, approver, integration or viewer"),
    ],
    name: Annotated[str | None, typer.Option(help="a name for the token")] = None,
    legal_entity: Annotated[
        list[str] | None,
        typer.Option("--legal-entity", help="restrict to this legal entity (repeatable)"),
    ] = None,
    expires_in_days: Annotated[
        int | None,
        typer.Option(min=1, help="refuse the token this many days from now (default: never)"),
    ] = None,
) -> None:
    """Create an API token and print its secret (shown once)."""
    settings = _settings()
    upgrade_database(settings.database_url)
    rt = _runtime(settings)
    try:
        expires = rt.clock.now() + timedelta(days=expires_in_days) if expires_in_days else None
        body = tokens.create_token(
            rt,
            cli_actor(),
            name or f"{role}-token",
            role,
            list(legal_entity) if legal_entity else None,
            expires_at=expires,
        )
    finally:
        dispose(rt)
    until = f"; expires {body['expires_at']}" if body["expires_at"] else ""
    err.print(
        f"token {body['id']} ({body['role']}, legal entities: "
        f"{', '.join(body['legal_entities'] or ['all'])}{until}); the secret is shown once:"
    )
    out.print(body["token"], highlight=False)


@token_app.command("list")
@handled
def token_list(
    all_tokens: Annotated[bool, typer.Option("--all", help="revoked tokens too")] = False,
    as_json: AsJson = False,
) -> None:
    """List the API tokens (never their secrets), with expiry and last use."""
    settings = _settings()
    rt = _runtime(settings)
    try:
        rows = tokens.list_tokens(rt, cli_actor())
    finally:
        dispose(rt)
    if as_json:
        print_json([row for row in rows if all_tokens or not row["revoked"]])
        return
    table = Table(  # ids are for `token revoke`: never cut
        Column("id", no_wrap=True),
        "name",
        "role",
        "legal entities",
        "created",
        "expires",
        "last used",
    )
    if all_tokens:
        table.add_column("revoked")
    for row in rows:
        if row["revoked"] and not all_tokens:
            continue
        cells = [
            row["id"],
            row["name"],
            row["role"],
            ", ".join(row["legal_entities"] or ["all"]),
            row["created_at"][:16],
            (row["expires_at"] or "never")[:16],
            (row["last_used_at"] or "never")[:16],
        ]
        table.add_row(*cells, *(["yes" if row["revoked"] else "no"] if all_tokens else []))
    out.print(table)


@token_app.command("revoke")
@handled
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id (see `token list`)")],
) -> None:
    """Revoke an API token: refused from now on (other server processes within seconds)."""
    settings = _settings()
    rt = _runtime(settings)
    try:
        tokens.revoke_token(rt, cli_actor(), token_id)
    finally:
        dispose(rt)
    out.print(f"token {token_id} revoked", highlight=False)


maintenance_cli.register(db_app)  # db backup, db check


credit_cli.register(app)
workflows_cli.register(app)
importer.register(app)  # creditdesk import
aging_cli.register(app)  # creditdesk aging
scheduling_cli.register(app)  # creditdesk schedule, runs, scheduler run


def main() -> None:
    app()
