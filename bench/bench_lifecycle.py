"""Benchmark of the periodic credit tasks: "calculate balance statistics" and "update risk
scores" over a large legal entity.

It builds, or reuses, a database (SQLite under ``bench/out/`` by default, or the PostgreSQL
URL given with ``--url``, whose tables it empties first): one legal entity FI01 (EUR) with
scoring groups on all eight predefined measures and three risk groups (set up through the use
cases), then N customers and M invoices bulk-inserted with SQLAlchemy Core. Invoices are spread
over the last two years; 60 % of them are paid by a payment applied to them 0–60 days later;
the customers' running exposure totals are set by aggregation (as ``bench_check`` does).

Then it runs the real use cases ``statistics.calculate_balance_statistics`` and
``scoring.update_risk_scores`` (which computes its statistics measures itself), each twice (the
second run shows they are safe to re-run: same row counts, rows replaced), and prints the wall
time, customers per second, documents per second and peak RSS.

    .venv/bin/python -m bench.bench_lifecycle                          # 100,000 / 2,000,000
    .venv/bin/python -m bench.bench_lifecycle --customers 10000 --invoices 200000
    .venv/bin/python -m bench.bench_lifecycle --url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, func, select, text
from sqlalchemy.engine import make_url

from bench.bench_check import DEFAULT_DB_DIR, bulk_engine, insert_batches, say, set_running_totals
from creditdesk.adapters import tables as t
from creditdesk.adapters import tables_lifecycle as lt
from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.service_layer import scoring, setup, statistics
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime

LE = "FI01"
AS_OF = date(2026, 11, 23)
PAID_SHARE = 0.6
BATCH = 20_000
STATUSES = ("NORMAL", "REVIEW", "WATCH")
COUNTRIES = ("FI", "SE", "NO", "DK", "DE")


def set_up(rt: Runtime) -> None:
    """The legal entity, account statuses, scoring groups and risk groups (use cases)."""
    setup.put_legal_entity(rt, SYSTEM, LE, "Contoso Suomi Oy", "EUR")
    ranges: dict[str, tuple[str, list[tuple[str, str, int]]]] = {
        "YIB": ("years_in_business", [("0", "4.99", 10), ("5", "9.99", 20), ("10", "999", 30)]),
        "SINCE": ("customer_since_years", [("0", "1.99", 0), ("2", "999", 10)]),
        "APD": ("average_payment_days", [("0", "30", 20), ("30.01", "9999", 0)]),
        "DSO": ("days_sales_outstanding", [("-9999", "45", 20), ("45.01", "99999", 5)]),
        "AVGBAL": ("average_balance", [("-1e12", "50000", 10), ("50000.01", "1e12", 0)]),
    }
    for group_id, (measure, lines) in ranges.items():
        scoring.put_scoring_group(
            rt,
            SYSTEM,
            LE,
            group_id,
            measure=measure,
            score_type="range",
            lines=[{"from": a, "to": b, "score": s} for a, b, s in lines],
        )
    values = {
        "STATUS": ("account_status", [("NORMAL", 20), ("WATCH", 5)]),
        "COUNTRY": ("country", [("FI", 10), ("SE", 8), ("NO", 8)]),
        "CMG": ("credit_management_group", [("RETAIL", 5)]),
    }
    for group_id, (measure, pairs) in values.items():
        scoring.put_scoring_group(
            rt,
            SYSTEM,
            LE,
            group_id,
            measure=measure,
            score_type="value",
            lines=[{"value": v, "score": s} for v, s in pairs],
        )
    for risk_group, low, high in (("HIGH", 0, 49), ("MEDIUM", 50, 89), ("LOW", 90, 1000)):
        scoring.put_risk_group(
            rt, SYSTEM, LE, risk_group, description=risk_group, score_from=low, score_to=high
        )


def customer_rows(count: int, rng: random.Random) -> Iterator[list[tuple[Any, list[Any]]]]:
    now = datetime.now(UTC)
    batch: list[dict[str, Any]] = []
    for n in range(count):
        batch.append(
            {
                "legal_entity": LE,
                "account": f"C{n:07d}",
                "name": f"Customer {n}",
                "currency": "EUR",
                "limit_minor": rng.randrange(1, 100) * 1_000_000,
                "limit_currency": "EUR",
                "mandatory_limit": False,
                "unlimited_limit": False,
                "exclude": False,
                "account_status": rng.choice(STATUSES),
                "credit_management_group": "RETAIL" if n % 3 == 0 else None,
                "business_started_on": AS_OF - timedelta(days=rng.randrange(0, 40 * 365)),
                "customer_since": AS_OF - timedelta(days=rng.randrange(0, 10 * 365)),
                "country": rng.choice(COUNTRIES),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(batch) == BATCH:
            yield [(t.customers, batch)]
            batch = []
    if batch:
        yield [(t.customers, batch)]


def document_rows(
    first_id: int, customers: int, invoices: int, rng: random.Random
) -> Iterator[list[tuple[Any, list[Any]]]]:
    """Invoices spread over the customers and the last two years; 60 % paid by a payment
    applied to them."""
    now = datetime.now(UTC)
    inv: list[dict[str, Any]] = []
    pay: list[dict[str, Any]] = []
    app: list[dict[str, Any]] = []
    for n in range(invoices):
        customer_id = first_id + n % customers
        day = AS_OF - timedelta(days=rng.randrange(0, 730))
        amount = rng.randrange(10_000, 500_000)
        invoice_id = f"I{n:08d}"
        inv.append(
            {
                "legal_entity": LE,
                "id": invoice_id,
                "customer_id": customer_id,
                "kind": "invoice",
                "amount_minor": amount,
                "currency": "EUR",
                "open_minor": amount,
                "invoice_date": day,
                "due_date": day + timedelta(days=30),
                "sales_order": None,
                "body_hash": "-",
                "created_at": now,
            }
        )
        if rng.random() < PAID_SHARE:
            paid_on = min(AS_OF, day + timedelta(days=rng.randrange(0, 61)))
            inv[-1]["open_minor"] = 0
            pay.append(
                {
                    "legal_entity": LE,
                    "id": f"P{n:08d}",
                    "customer_id": customer_id,
                    "amount_minor": amount,
                    "currency": "EUR",
                    "date": paid_on,
                    "body_hash": "-",
                    "created_at": now,
                }
            )
            app.append(
                {
                    "legal_entity": LE,
                    "payment_id": f"P{n:08d}",
                    "invoice_id": invoice_id,
                    "amount_minor": amount,
                    "currency": "EUR",
                    "date": paid_on,
                }
            )
        if len(inv) == BATCH:
            yield [(t.invoices, inv), (t.payments, pay), (t.payment_applications, app)]
            inv, pay, app = [], [], []
    if inv:
        yield [(t.invoices, inv), (t.payments, pay), (t.payment_applications, app)]


def loading_engine(url: str, path: Path | None) -> Engine:
    return bulk_engine(path) if path is not None else create_engine(url)


def empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{table.name}"' for table in reversed(t.metadata.sorted_tables))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def build(url: str, path: Path | None, customers: int, invoices: int, seed: int) -> None:
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    upgrade_database(url)
    if path is None:
        empty_postgres(url)
    rt = build_runtime(Settings(database_url=url))
    try:
        set_up(rt)
    finally:
        dispose(rt)
    rng = random.Random(seed)
    engine = loading_engine(url, path)
    started = time.perf_counter()
    insert_batches(engine, customer_rows(customers, rng))
    with engine.connect() as conn:
        first_id = int(conn.execute(select(func.min(t.customers.c.id))).scalar_one())
    insert_batches(engine, document_rows(first_id, customers, invoices, rng))
    with engine.begin() as conn:
        set_running_totals(conn)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    say(f"built in {time.perf_counter() - started:.1f} s")


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in (
                    t.customers,
                    t.invoices,
                    t.payments,
                    t.payment_applications,
                    lt.balance_statistics,
                    lt.risk_scores,
                )
            }
    finally:
        engine.dispose()


def clear_results(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(lt.balance_statistics))
        conn.execute(delete(lt.risk_scores))
    engine.dispose()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, rt: Runtime, documents: int, chunk: int) -> list[str]:
    rows = []
    for attempt in ("first run", "re-run"):
        started = time.perf_counter()
        cpu = time.process_time()
        if label == "balance statistics":
            result = statistics.calculate_balance_statistics(
                rt, SYSTEM, LE, as_of=AS_OF, chunk_size=chunk
            )
            done = int(result["calculated"])
        else:
            result = scoring.update_risk_scores(rt, SYSTEM, LE, as_of=AS_OF, chunk_size=chunk)
            done = int(result["updated"])
        wall = time.perf_counter() - started
        cpu_used = time.process_time() - cpu
        rows.append(
            f"{label:<20} {attempt:<10} {done:>9,} customers {wall:>8.1f} s  "
            f"{done / wall:>9,.0f} customers/s  {documents / wall:>11,.0f} documents/s  "
            f"cpu {cpu_used:>6.1f} s"
        )
        say(rows[-1])
    return rows


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=2_000_000)
    parser.add_argument("--chunk", type=int, default=statistics.CHUNK, help="customers per chunk")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR)
    parser.add_argument("--url", help="a PostgreSQL URL instead of a SQLite file (emptied!)")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    path: Path | None = None
    if args.url:
        url = args.url
        rebuild = True
    else:
        path = args.db_dir / f"lifecycle_c{args.customers}_i{args.invoices}.db"
        url = f"sqlite:///{path}"
        rebuild = args.rebuild or not path.exists()
    if rebuild:
        say(f"building {args.customers:,} customers and {args.invoices:,} invoices at {url}")
        build(url, path, args.customers, args.invoices, args.seed)
    else:
        upgrade_database(url)
        clear_results(url)
    sizes = counts(url)
    documents = sizes["invoices"] + sizes["payments"] + sizes["payment_applications"]
    say(
        f"data: {sizes['customers']:,} customers, {sizes['invoices']:,} invoices, "
        f"{sizes['payments']:,} payments, {sizes['payment_applications']:,} applications "
        f"({make_url(url).get_backend_name()}, chunks of {args.chunk:,} customers)"
    )
    rt = build_runtime(Settings(database_url=url))
    try:
        timed("balance statistics", rt, documents, args.chunk)
        timed("update risk scores", rt, documents, args.chunk)
    finally:
        dispose(rt)
    after = counts(url)
    say(
        f"stored: {after['balance_statistics']:,} balance statistics rows, "
        f"{after['risk_scores']:,} risk scores; peak RSS {peak_rss_mib():,.0f} MiB"
    )
    if path is not None:
        say(f"database size {path.stat().st_size / 2**20:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
