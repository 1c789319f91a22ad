"""``creditdesk aging``: the aged open balances of a legal entity (as the system
administrator), per customer and currency and in totals per currency, as Rich tables or
as the JSON of ``GET /api/v1/legal-entities/{le}/aged-balances``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import load_settings
from creditdesk.domain.aging import BUCKETS
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.entrypoints.cli.output import AsJson, print_json, table
from creditdesk.service_layer import aging_report


def register(app: typer.Typer) -> None:
    from creditdesk.entrypoints.cli.main import handled

    app.command("aging")(handled(aging))


def _as_of(value: str | None) -> date | None:
    from creditdesk.entrypoints.cli.main import fail

    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise fail(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None
    return day  # a day too early for the buckets is refused by the use case (invalid_date)


def _table(title: str, first: list[str], rows: list[dict[str, Any]], key: str | None) -> Table:
    printed = table(*first, title=title)
    for name in (*BUCKETS, "total"):
        printed.add_column(name.replace("_", " "), justify="right", overflow="fold")
    for row in rows:
        cells = [row[key]] if key is not None else []
        printed.add_row(
            *cells,
            row["currency"],
            *(row["buckets"][name]["amount"] for name in BUCKETS),
            row["total"]["amount"],
        )
    return printed


def aging(
    legal_entity: Annotated[str, typer.Argument(help="legal entity, e.g. FI01")],
    as_of: Annotated[
        str | None, typer.Option(help="report date YYYY-MM-DD (default today)")
    ] = None,
    totals_only: Annotated[
        bool, typer.Option("--totals-only", help="only the totals per currency")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Aged open balances of a legal entity: open invoices in the buckets current (not yet
    due), 1-30, 31-60, 61-90 and over 90 days past due, per customer and currency, with
    totals per currency."""
    from creditdesk.entrypoints.cli.main import out

    day = _as_of(as_of)
    rt = build_runtime(load_settings())
    try:
        body = aging_report.legal_entity_aging(
            rt, cli_actor(), legal_entity, day or rt.clock.today(), customers=not totals_only
        )
    finally:
        dispose(rt)
    if as_json:
        print_json(body)
        return
    out.print(f"aged balances of {body['legal_entity']} on {body['as_of']}", highlight=False)
    if not totals_only:
        out.print(_table("per customer", ["customer", "currency"], body["customers"], "account"))
    out.print(_table("totals", ["currency"], body["totals"], None))
    if totals_only:
        return
    count = body["customers_with_open_items"]
    out.print(f"{count} customer(s) with open invoices", highlight=False)
