"""``creditdesk journals …``, ``creditdesk scoring run``, ``creditdesk statistics run|delete``:
credit limit adjustment journals and the periodic risk-scoring and statistics tasks.

The periodic tasks show a Rich progress bar; they commit chunk by chunk and can be run again
after an interruption (they replace what they computed before).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import load_settings
from creditdesk.domain.adjustments import DateMethod, RoundingForm, ValueType
from creditdesk.domain.errors import CreditDeskError
from creditdesk.domain.money import parse_money, parse_rate
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.entrypoints.cli.output import (
    AsJson,
    print_json,
    stderr_console,
    stdout_console,
    table,
)
from creditdesk.service_layer import journals, scoring, statistics
from creditdesk.service_layer.runtime import Runtime

journals_app = typer.Typer(help="Credit limit adjustment journals.", no_args_is_help=True)
scoring_app = typer.Typer(help="Risk scoring.", no_args_is_help=True)
statistics_app = typer.Typer(help="Balance statistics.", no_args_is_help=True)

out = stdout_console()
err = stderr_console()

P = ParamSpec("P")
R = TypeVar("R")


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(1)


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """Print a creditdesk error as one line and exit 1 instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CreditDeskError as error:
            raise _fail(f"{error} ({error.code})") from None
        except SQLAlchemyError as error:
            cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise _fail(f"database error: {cause}") from None

    return wrapper


@contextmanager
def runtime() -> Iterator[Runtime]:
    rt = build_runtime(load_settings())
    try:
        yield rt
    finally:
        dispose(rt)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _print_journal(body: dict[str, Any]) -> None:
    state = "posted" if body["posted"] else body["status"]
    out.print(
        f"[bold]{body['id']}[/] {body['type']} ({state}) {body['description']}", highlight=False
    )
    if not body["lines"]:
        out.print("no lines")
        return
    rows = table("#", "target", "name", "current", "new limit", "expires / period")
    for line in body["lines"]:
        target = line["customer"] or f"group {line['credit_group']}"
        current = line["current_limit"]
        dates = line["new_expires_on"] or f"{line['from']}..{line['to']}"
        rows.add_row(
            str(line["line_no"]),
            target,
            line["name"],
            f"{current['amount']} {current['currency']}" if current else "-",
            f"{line['new_limit']['amount']} {line['new_limit']['currency']}",
            dates,
        )
    out.print(rows)


@journals_app.command("create")
@handled
def journal_create(
    legal_entity: Annotated[str, typer.Argument(help="legal entity, e.g. FI01")],
    temporary: Annotated[
        bool, typer.Option("--temporary", help="a temporary credit limit journal")
    ] = False,
    description: Annotated[str, typer.Option(help="description")] = "",
) -> None:
    """Create a journal; prints its number."""
    kind = "temporary_credit_limit" if temporary else "credit_limit"
    with runtime() as rt:
        body = journals.create_journal(rt, cli_actor(), legal_entity, kind, description)
    out.print(body["id"], highlight=False)


@journals_app.command("lines")
@handled
def journal_lines(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    journal_id: Annotated[str, typer.Argument(help="journal number")],
    new_limit: Annotated[str, typer.Option(help="the new limit, e.g. '20000 EUR'")],
    customer: Annotated[str | None, typer.Option(help="customer account")] = None,
    credit_group: Annotated[str | None, typer.Option(help="customer credit group")] = None,
    expires: Annotated[str | None, typer.Option(help="new expiration date")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="temporary: from date")] = None,
    to_date: Annotated[str | None, typer.Option("--to", help="temporary: to date")] = None,
) -> None:
    """Add a line for a customer or a credit group."""
    with runtime() as rt:
        body = journals.add_line(
            rt,
            cli_actor(),
            legal_entity,
            journal_id,
            customer=customer,
            credit_group=credit_group,
            new_limit=parse_money(new_limit),
            new_expires_on=_date(expires, "--expires"),
            start=_date(from_date, "--from"),
            end=_date(to_date, "--to"),
        )
    out.print(f"line {body['line_no']} added to {journal_id}", highlight=False)


@journals_app.command("generate")
@handled
def journal_generate(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    journal_id: Annotated[str, typer.Argument(help="journal number")],
    source: Annotated[str, typer.Option(help="customers, credit_groups or automatic")],
    value: Annotated[str | None, typer.Option(help="adjustment value (signed)")] = None,
    percent: Annotated[bool, typer.Option("--percent", help="value is a percentage")] = False,
    round_off: Annotated[str | None, typer.Option(help="rounding unit, e.g. 10.00")] = None,
    up: Annotated[bool, typer.Option("--up", help="round up (default down)")] = False,
    relative: Annotated[bool, typer.Option("--relative", help="relative dates")] = False,
    expires: Annotated[str | None, typer.Option(help="new expiration date")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="temporary: from date")] = None,
    to_date: Annotated[str | None, typer.Option("--to", help="temporary: to date")] = None,
    from_offset_days: Annotated[int, typer.Option(help="relative: from offset")] = 0,
    to_offset_days: Annotated[int, typer.Option(help="relative: to offset")] = 0,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="only this customer (repeatable)")
    ] = None,
    credit_group: Annotated[
        list[str] | None, typer.Option("--credit-group", help="only this group (repeatable)")
    ] = None,
) -> None:
    """Generate lines from existing limits or from automatic credit limits."""
    request = journals.GenerateRequest(
        source=source,
        value=parse_rate(value) if value is not None else None,
        value_type=ValueType.PERCENT if percent else ValueType.FIXED,
        round_off=parse_rate(round_off) if round_off is not None else None,
        rounding=RoundingForm.UP if up else RoundingForm.DOWN,
        date_method=DateMethod.RELATIVE if relative else DateMethod.ABSOLUTE,
        new_expires_on=_date(expires, "--expires"),
        start=_date(from_date, "--from"),
        end=_date(to_date, "--to"),
        from_offset_days=from_offset_days,
        to_offset_days=to_offset_days,
        customers=tuple(customer) if customer else None,
        credit_groups=tuple(credit_group) if credit_group else None,
    )
    with runtime() as rt:
        body = journals.generate_lines(rt, cli_actor(), legal_entity, journal_id, request)
    _print_journal(body)


@journals_app.command("post")
@handled
def journal_post(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    journal_id: Annotated[str, typer.Argument(help="journal number")],
) -> None:
    """Post a journal: apply its lines."""
    with runtime() as rt:
        body = journals.post_journal(rt, cli_actor(), legal_entity, journal_id)
    out.print(f"{journal_id} posted on {body['posted_on']} ({len(body['lines'])} lines)")


@journals_app.command("list")
@handled
def journal_list(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")], as_json: AsJson = False
) -> None:
    """List the journals of a legal entity."""
    with runtime() as rt:
        items = journals.list_journals(rt, cli_actor(), legal_entity, None, 1000)
    if as_json:
        print_json(items)
        return
    rows = table("journal", "type", "status", "lines", "description")
    for body in items:
        rows.add_row(
            body["id"], body["type"], body["status"], str(len(body["lines"])), body["description"]
        )
    out.print(rows)


@journals_app.command("show")
@handled
def journal_show(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    journal_id: Annotated[str, typer.Argument(help="journal number")],
    as_json: AsJson = False,
) -> None:
    """Show a journal and its lines."""
    with runtime() as rt:
        body = journals.get_journal(rt, cli_actor(), legal_entity, journal_id)
    if as_json:
        print_json(body)
        return
    _print_journal(body)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@scoring_app.command("run")
@handled
def scoring_run(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    as_of: Annotated[str | None, typer.Option(help="score date (default today)")] = None,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="only this customer (repeatable)")
    ] = None,
) -> None:
    """Update risk scores: each customer's factors, total score and risk group."""
    with runtime() as rt, progress_bar("update risk scores") as advance:
        body = scoring.update_risk_scores(
            rt,
            cli_actor(),
            legal_entity,
            accounts=list(customer) if customer else None,
            as_of=_date(as_of, "--as-of"),
            progress=advance,
        )
    out.print(f"{body['updated']} customers scored in {legal_entity} as of {body['as_of']}")


@statistics_app.command("run")
@handled
def statistics_run(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    as_of: Annotated[str | None, typer.Option(help="statistics date (default today)")] = None,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="only this customer (repeatable)")
    ] = None,
) -> None:
    """Calculate balance statistics (DSO, average payment days, average balance)."""
    with runtime() as rt, progress_bar("balance statistics") as advance:
        body = statistics.calculate_balance_statistics(
            rt,
            cli_actor(),
            legal_entity,
            as_of=_date(as_of, "--as-of"),
            accounts=list(customer) if customer else None,
            progress=advance,
        )
    out.print(
        f"{body['calculated']} customers' statistics calculated in {legal_entity} "
        f"as of {body['as_of']}"
    )


@statistics_app.command("delete")
@handled
def statistics_delete(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    until: Annotated[
        str | None, typer.Option(help="delete records dated before (default today − 1 year)")
    ] = None,
) -> None:
    """Delete outdated balance statistics records."""
    with runtime() as rt:
        body = statistics.delete_outdated_statistics(
            rt, cli_actor(), legal_entity, _date(until, "--until")
        )
    out.print(f"{body['deleted']} statistics records dated before {body['until']} deleted")


__all__ = ["journals_app", "scoring_app", "statistics_app"]
