"""``creditdesk import``: bulk ingestion of documents from CSV or NDJSON files.

One row per document, with a ``type`` column: invoice, credit_note, payment, sales_order or
packing_slip. Columns (CSV header / NDJSON keys): id, customer, amount, currency,
invoice_date, due_date, sales_order (invoices; the order of a packing slip), date
(payments, packing slips), applies_to (payments: ``INV-1:100.00;INV-2:5.00`` in CSV or a
list of {"invoice", "amount"} in NDJSON), payment_terms, settlement_discount, status,
exclude (sales orders). Idempotent per (legal entity, id).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import load_settings
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.entrypoints.cli.output import print_json, table
from creditdesk.service_layer import bulk_import

FORMATS = ("csv", "ndjson")


def register(app: typer.Typer) -> None:
    from creditdesk.entrypoints.cli.main import handled

    app.command("import")(handled(import_documents))


def _rows(path: Path, fmt: str) -> Iterator[Any]:
    with path.open(newline="", encoding="utf-8") as handle:
        if fmt == "csv":
            yield from csv.DictReader(handle)
            return
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as error:
                yield {"_error": f"line {number} is not JSON: {error.msg}"}


def _count_lines(path: Path, fmt: str) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1) if fmt == "csv" else lines


def import_documents(
    legal_entity: Annotated[str, typer.Argument(help="the legal entity the documents belong to")],
    path: Annotated[Path, typer.Argument(help="a .csv or .ndjson file", exists=True)],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or ndjson (default: from the suffix)")
    ] = None,
    batch_size: Annotated[
        int, typer.Option(help="documents per transaction", min=1)
    ] = bulk_import.DEFAULT_BATCH,
    show_rejected: Annotated[
        int, typer.Option(help="rejected rows to list in the summary", min=0)
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Load invoices, credit notes, payments, sales orders and packing slips in bulk."""
    from creditdesk.entrypoints.cli.main import fail, out

    chosen = (fmt or path.suffix.lstrip(".")).lower()
    if chosen == "jsonl":
        chosen = "ndjson"
    if chosen not in FORMATS:
        raise fail(f"unknown format {chosen!r}: use --format csv or --format ndjson")
    total = _count_lines(path, chosen)
    rt = build_runtime(load_settings())
    try:
        with Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=out,
            transient=True,
            disable=as_json,
        ) as progress:
            task = progress.add_task("rows", total=total)
            report = bulk_import.import_documents(
                rt,
                cli_actor(),
                legal_entity,
                _rows(path, chosen),
                batch_size=batch_size,
                progress=lambda done: progress.update(task, completed=done),
            )
    finally:
        dispose(rt)
    summary = report.as_dict()
    if as_json:
        print_json(summary)
        return
    rate = report.rows / report.seconds if report.seconds else 0.0
    out.print(
        f"{report.rows:,} rows in {report.seconds:.1f} s ({rate:,.0f} rows/s): "
        f"[green]{report.accepted:,} accepted[/], {report.unchanged:,} unchanged, "
        f"[red]{len(report.rejected):,} rejected[/]"
    )
    if report.by_type:
        out.print("accepted: " + ", ".join(f"{k} {v:,}" for k, v in sorted(report.by_type.items())))
    if report.rejected:
        rows = table("row", "type", "id", "reason")
        for item in report.rejected[:show_rejected]:
            rows.add_row(str(item.row), item.type, item.id, f"{item.message} ({item.code})")
        out.print(rows)
        if len(report.rejected) > show_rejected:
            out.print(f"… and {len(report.rejected) - show_rejected:,} more rejected rows")
