"""``creditdesk user``: the people who sign in to the web application."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import load_settings
from creditdesk.domain.errors import CreditDeskError
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.entrypoints.cli.output import (
    AsJson,
    print_json,
    stderr_console,
    stdout_console,
    table,
)
from creditdesk.service_layer import users
from creditdesk.service_layer.runtime import Runtime

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
            help="at least 12 characters, not a common password (prompted for when not given)",
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
            cli_actor(),
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
        rows = users.list_users(rt, cli_actor())
    finally:
        dispose(rt)
    if as_json:
        print_json(rows)
        return
    printed = table("username", "name", "role", "legal entities", "language", "disabled")
    for row in rows:
        printed.add_row(
            row["username"],
            row["display_name"],
            row["role"],
            ", ".join(row["legal_entities"] or ["all"]),
            row["language"] or "-",
            "yes" if row["disabled"] else "no",
        )
    out.print(printed)


def _run(change: Callable[[Runtime], dict[str, Any]]) -> dict[str, Any]:
    """Run a change on the database of the settings; a creditdesk error is one line, exit 1."""
    settings = load_settings()
    upgrade_database(settings.database_url)
    rt = build_runtime(settings)
    try:
        return change(rt)
    except CreditDeskError as error:
        err.print(f"[bold red]error:[/] {error} ({error.code})", highlight=False)
        raise typer.Exit(1) from None
    finally:
        dispose(rt)


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="the user to disable")],
) -> None:
    """Disable a user: no more sign-ins, and every open session of theirs ends now."""
    body = _run(lambda rt: users.disable_user(rt, cli_actor(), username))
    out.print(
        f"user {username} disabled; {body['sessions_ended']} session(s) ended", highlight=False
    )


@user_app.command("reset-password")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="the user whose password to set")],
    password: Annotated[
        str,
        typer.Option(
            prompt="New password",
            hide_input=True,
            confirmation_prompt=True,
            envvar="CREDITDESK_USER_PASSWORD",
            help="at least 12 characters, not a common password (prompted for when not given)",
        ),
    ],
) -> None:
    """Give a user a new password: every open session of theirs ends, and their failed
    sign-ins are forgotten."""
    body = _run(lambda rt: users.set_password(rt, cli_actor(), username, password))
    out.print(
        f"password of {username} set; {body['sessions_ended']} session(s) ended",
        highlight=False,
    )
