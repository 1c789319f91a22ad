"""``creditdesk workflows …``: the approval inbox from the command line. Decisions need a
real identity (nobody approves their own submission), so commands act as the API token given
with ``--token`` (or ``CREDITDESK_TOKEN``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import load_settings
from creditdesk.entrypoints.cli.output import AsJson, print_json, table
from creditdesk.service_layer import tokens, workflows
from creditdesk.service_layer.auth import Principal
from creditdesk.service_layer.runtime import Runtime

workflows_app = typer.Typer(
    help="Approval workflows: inbox, submit, approve, reject, recall.", no_args_is_help=True
)
TokenOption = Annotated[
    str, typer.Option("--token", envvar="CREDITDESK_TOKEN", help="the API token to act as")
]


def register(app: typer.Typer) -> None:
    from creditdesk.entrypoints.cli.main import handled

    for command in workflows_app.registered_commands:
        assert command.callback is not None
        command.callback = handled(command.callback)
    app.add_typer(workflows_app, name="workflows")


@contextmanager
def acting(token: str) -> Iterator[tuple[Runtime, Principal]]:
    rt = build_runtime(load_settings())
    try:
        yield rt, tokens.authenticate(rt, token)
    finally:
        dispose(rt)


def _print_item(item: dict[str, Any]) -> None:
    from creditdesk.entrypoints.cli.main import out

    amount = item["amount"]
    money = f"{amount['amount']} {amount['currency']}" if amount else ""
    out.print(
        f"{item['id']}  {item['kind']} {item['action']} {item['subject']}  {money}  "
        f"[{item['status']}] step {item['next_step'] or '-'} of {item['steps']}"
        + (f"  error: {item['error']}" if item.get("error") else ""),
        highlight=False,
    )


@workflows_app.command("inbox")
def inbox(
    token: TokenOption,
    mine: Annotated[bool, typer.Option("--mine")] = False,
    as_json: AsJson = False,
) -> None:
    """Items waiting for your approval (or your own submissions with --mine)."""
    from creditdesk.entrypoints.cli.main import out

    with acting(token) as (rt, actor):
        items = workflows.list_items(rt, actor, status=None if mine else "pending", mine=mine)
    if as_json:
        print_json(items)
        return
    rows = table("item", "kind", "action", "subject", "amount", "status", "submitted by")
    for item in items:
        amount = item["amount"]
        rows.add_row(
            item["id"],
            item["kind"],
            item["action"],
            item["subject"],
            f"{amount['amount']} {amount['currency']}" if amount else "",
            item["status"],
            item["submitted_by"],
        )
    out.print(rows)


@workflows_app.command("approve")
def approve(
    item_id: str, token: TokenOption, comment: Annotated[str | None, typer.Option()] = None
) -> None:
    """Approve the next step of an item (the last one runs the completion task)."""
    with acting(token) as (rt, actor):
        _print_item(workflows.approve(rt, actor, item_id, comment))


@workflows_app.command("reject")
def reject(
    item_id: str, token: TokenOption, comment: Annotated[str | None, typer.Option()] = None
) -> None:
    """Reject an item (it goes back to the submitter)."""
    with acting(token) as (rt, actor):
        _print_item(workflows.reject(rt, actor, item_id, comment))


@workflows_app.command("recall")
def recall(
    item_id: str, token: TokenOption, comment: Annotated[str | None, typer.Option()] = None
) -> None:
    """Recall your own submission."""
    with acting(token) as (rt, actor):
        _print_item(workflows.recall(rt, actor, item_id, comment))


@workflows_app.command("resubmit")
def resubmit(item_id: str, token: TokenOption) -> None:
    """Send a rejected, recalled or returned item through its workflow again."""
    with acting(token) as (rt, actor):
        _print_item(workflows.resubmit(rt, actor, item_id))


@workflows_app.command("submit-hold")
def submit_hold(
    hold_id: str,
    token: TokenOption,
    action: Annotated[str, typer.Option(help="release or reject")] = "release",
    reason: Annotated[str | None, typer.Option()] = None,
    review_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    with_posting: Annotated[bool, typer.Option("--with-posting/--without-posting")] = False,
    note: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Send a hold's release or rejection for approval."""
    day = date.fromisoformat(review_date) if review_date else None
    with acting(token) as (rt, actor):
        _print_item(
            workflows.submit_hold(
                rt,
                actor,
                hold_id,
                action=action,
                reason=reason,
                review_date=day,
                with_posting=with_posting,
                note=note,
            )
        )


@workflows_app.command("submit-journal")
def submit_journal(legal_entity: str, journal_id: str, token: TokenOption) -> None:
    """Submit a credit limit adjustment journal for approval."""
    with acting(token) as (rt, actor):
        for item in workflows.submit_journal(rt, actor, legal_entity, journal_id):
            _print_item(item)
