"""``creditdesk import``: bulk ingestion of documents from CSV or NDJSON files.

One row per document, with a ``type`` column: invoice, credit_note, payment, sales_order or
packing_slip. Columns (CSV header / NDJSON keys): id, customer, amount, currency,
invoice_date, due_date, sales_order (invoices; the order of a packing slip), date
(payments, packing slips), applies_to (payments: ``INV-1:100.00;INV-2:5.00`` in CSV or a
list of {"invoice", "amount"} in NDJSON), payment_terms, settlement_discount, status,
exclude (sales orders). Idempotent per (legal entity, id). docs/import.md is the reference.

Every file gets a summary: a row the reader cannot make sense of (bytes that are not UTF-8,
a line that is not JSON or is nested too deeply, a CSV field over the size limit) is a
rejected row with its reason, never a traceback, and if something unexpected stops the
import the summary of what was stored before it is still printed. CSV files saved by Excel
are read as they are: a byte-order mark is skipped, the separator (``,`` ``;`` or tab) is
taken from the header line, and with ``;`` amounts may have a decimal comma (``1234,50``).

Exit status: 0 when every row was stored or already stored, 2 when rows were rejected, 1 when
the import could not run or stopped before the end of the file.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import load_settings
from creditdesk.domain.errors import CreditDeskError
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.entrypoints.cli.output import print_json, table
from creditdesk.service_layer import bulk_import

FORMATS = ("csv", "ndjson")
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t"}
EXIT_REJECTED = 2
"""The exit status when the file was read to the end but rows were rejected."""
MAX_FIELD = 128 * 1024
"""The longest CSV field read (Python's csv default): a longer one rejects its row."""

_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)
_COMMA_AMOUNT = re.compile(r"[+-]?[0-9]+(,[0-9]+)?")
_GROUP_SPACES = str.maketrans("", "", " \xa0\u202f")


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a CSV file is written: its separator and whether amounts use a decimal comma."""

    delimiter: str
    decimal_comma: bool


def register(app: typer.Typer) -> None:
    from creditdesk.entrypoints.cli.main import handled

    app.command("import")(handled(import_documents))


def _open(path: Path) -> TextIO:
    """The file as text: UTF-8 with or without a byte-order mark; bytes that are not UTF-8
    are kept as lone surrogates so that their row (only) is rejected."""
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def sniff(header: str, delimiter: str | None, decimal_comma: bool | None) -> Dialect:
    """The dialect of a CSV file from its header line, unless given: the separator that
    occurs most in it; decimal commas go with ``;`` (what Excel writes where the comma is the
    decimal separator)."""
    if delimiter is None:
        counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
        delimiter = max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","
    return Dialect(delimiter, delimiter == ";" if decimal_comma is None else decimal_comma)


def _point(text: Any) -> Any:
    """An amount written with a decimal comma (``1 234,50``) as ``1234.50``; anything else is
    left for the amount parser to accept or refuse."""
    if not isinstance(text, str):
        return text
    compact = text.strip().translate(_GROUP_SPACES)
    return compact.replace(",", ".") if _COMMA_AMOUNT.fullmatch(compact) else text


def _points(applies_to: Any) -> Any:
    if not isinstance(applies_to, str) or not applies_to.strip():
        return applies_to
    parts = []
    for part in applies_to.split(";"):
        invoice, sep, amount = part.partition(":")
        parts.append(f"{invoice}{sep}{_point(amount)}" if sep else part)
    return ";".join(parts)


def _undecodable(row: dict[Any, Any]) -> bool:
    for key, value in row.items():
        for text in (key, *(value if isinstance(value, list) else [value])):
            if isinstance(text, str) and _UNDECODABLE.search(text):
                return True
    return False


def _csv_rows(handle: TextIO, dialect: Dialect, first: str) -> Iterator[Any]:
    lines = itertools.chain([first], handle)
    reader = csv.DictReader(lines, delimiter=dialect.delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield {"_error": f"the CSV row near line {reader.line_num} cannot be read: {error}"}
            continue
        if _undecodable(row):
            yield {"_error": f"line {reader.line_num} is not UTF-8 text"}
            continue
        if dialect.decimal_comma:
            row["amount"] = _point(row.get("amount"))
            if "applies_to" in row:
                row["applies_to"] = _points(row["applies_to"])
        yield row


def _ndjson_rows(handle: TextIO) -> Iterator[Any]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        if _UNDECODABLE.search(line):
            yield {"_error": f"line {number} is not UTF-8 text"}
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as error:
            yield {"_error": f"line {number} is not JSON: {error.msg}"}
        except (RecursionError, ValueError):
            yield {"_error": f"line {number} is not JSON this import reads (nested too deeply)"}


def read_rows(
    path: Path, fmt: str, delimiter: str | None = None, decimal_comma: bool | None = None
) -> Iterator[Any]:
    """The rows of a file, as dicts for ``bulk_import`` (``{"_error": ...}`` for a row that
    cannot be read)."""
    csv.field_size_limit(MAX_FIELD)
    with _open(path) as handle:
        if fmt == "csv":
            first = handle.readline()
            yield from _csv_rows(handle, sniff(first, delimiter, decimal_comma), first)
        else:
            yield from _ndjson_rows(handle)


def _count_lines(path: Path, fmt: str) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1) if fmt == "csv" else lines


def _print_summary(report: bulk_import.ImportReport, show_rejected: int) -> None:
    from creditdesk.entrypoints.cli.main import out

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


def import_documents(
    legal_entity: Annotated[str, typer.Argument(help="the legal entity the documents belong to")],
    path: Annotated[Path, typer.Argument(help="a .csv or .ndjson file", exists=True)],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or ndjson (default: from the suffix)")
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(help="CSV separator: ',', ';' or 'tab' (default: from the header line)"),
    ] = None,
    decimal_comma: Annotated[
        bool | None,
        typer.Option(
            "--decimal-comma/--decimal-point",
            help="amounts such as 1234,50 (default: with the ';' separator)",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option(help="documents per transaction", min=1)
    ] = bulk_import.DEFAULT_BATCH,
    show_rejected: Annotated[
        int, typer.Option(help="rejected rows to list in the summary", min=0)
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Load invoices, credit notes, payments, sales orders and packing slips in bulk.

    Exit status 0: every row stored or already stored; 2: rows rejected; 1: not run or
    stopped early (the summary still says what was stored)."""
    from creditdesk.entrypoints.cli.main import err, fail, out

    chosen = (fmt or path.suffix.lstrip(".")).lower()
    if chosen == "jsonl":
        chosen = "ndjson"
    if chosen not in FORMATS:
        raise fail(f"unknown format {chosen!r}: use --format csv or --format ndjson")
    separator = None
    if delimiter is not None:
        separator = DELIMITERS.get(delimiter.lower())
        if separator is None:
            raise fail(f"unknown separator {delimiter!r}: use ',', ';' or 'tab'")
    total = _count_lines(path, chosen)
    report = bulk_import.ImportReport()
    stopped: str | None = None
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
            bulk_import.import_documents(
                rt,
                cli_actor(),
                legal_entity,
                read_rows(path, chosen, separator, decimal_comma),
                batch_size=batch_size,
                progress=lambda done: progress.update(task, completed=done),
                report=report,
            )
    except CreditDeskError as error:
        if report.rows == 0:
            raise  # nothing was read (an unknown legal entity, no permission): one error line
        stopped = f"the import stopped early: {error} ({error.code})"
    except Exception as error:  # whatever stopped it, the summary is printed
        stopped = f"the import stopped early: {type(error).__name__}: {error}"
    finally:
        dispose(rt)
    report.rejected.sort(key=lambda r: r.row)
    summary = report.as_dict()
    summary["complete"] = stopped is None
    if as_json:
        print_json(summary)
    else:
        _print_summary(report, show_rejected)
    if stopped is not None:
        err.print(
            f"[bold red]error:[/] {escape(stopped)}; the summary counts the rows stored before it",
            highlight=False,
        )
        raise typer.Exit(1)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED)
