"""``creditdesk user``: the people who sign in to the web application."""

from __future__ import annotations

from typing import Annotated

import typer

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import load_settings
from creditdesk.domain.errors import CreditDeskError
from creditdesk.entrypoints.cli.output import (
    AsJson,
    print_json,
    stderr_console,
    stdout_console,
    table,
)
from creditdesk.service_layer import users
from creditdesk.service_layer.auth import SYSTEM

user_app = typer.Typer(help="Web application users.", no_args_is_help=True)
out = stdout_console()
err = stderr_console()


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="the name to sign in with")],
    role: Annotated[
        str, typer.Option(help="admin, credit_manager, credit_clerk, approver or viewer")
    ],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="CREDITDESK_USER_PASSWORD",
            help="at least 8 characters (prompted for when not given)",
        ),
    ],
    legal_entity: Annotated[
        list[str] | None,
        typer.Option("--legal-entity", help="restrict to this legal entity (repeatable)"),
    ] = None,
    name: Annotated[str | None, typer.Option(help="the name shown in the header")] = None,
    language: Annotated[str | None, typer.Option(help="en, fi, nb or sv")] = None,
) -> None:
    """Create a web user with a role and, optionally, a legal-entity scope."""
    settings = load_settings()
    upgrade_database(settings.database_url)
    rt = build_runtime(settings)
    try:
        body = users.create_user(
            rt,
            SYSTEM,
            username,
            password,
            role,
            list(legal_entity) if legal_entity else None,
            display_name=name,
            language=language,
        )
    except CreditDeskError as error:
        err.print(f"[bold red]error:[/] {error} ({error.code})", highlight=False)
        raise typer.Exit(1) from None
    finally:
        dispose(rt)
    out.print(
        f"user {body['username']} ({body['role']}, legal entities: "
        f"{', '.join(body['legal_entities'] or ['all'])})",
        highlight=False,
    )


@user_app.command("list")
def user_list(as_json: AsJson = False) -> None:
    """List the web users."""
    settings = load_settings()
    rt = build_runtime(settings)
    try:
        rows = users.list_users(rt, SYSTEM)
    finally:
        dispose(rt)
    if as_json:
        print_json(rows)
        return
    printed = table("username", "name", "role", "legal entities", "language")
    for row in rows:
        printed.add_row(
            row["username"],
            row["display_name"],
            row["role"],
            ", ".join(row["legal_entities"] or ["all"]),
            row["language"] or "-",
        )
    out.print(printed)
