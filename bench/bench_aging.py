"""Benchmark of the set-based aging report (``service_layer.aging_report``) on SQLite: a
database with ``--open-invoices`` open invoices (default 1,000,000) over ``--customers``
customers of FI01, due dates spread over a year, then the whole legal entity's aged balances
(per customer and totals) timed, repeated ``--repeat`` times; medians of wall-clock and CPU
time are printed (CPU is what other load on a shared machine disturbs less).

Building the database is a one-off (about 30 s for a million invoices) and is reported on its
own line: it is not the aging figure. ``--profile`` writes a pyinstrument profile of one more
run beside the database; ``--totals-only`` ages without the per-customer rows.

    .venv/bin/python -m bench.bench_aging
    .venv/bin/python -m bench.bench_aging --profile
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.bench_check import (
    DEFAULT_DB_DIR,
    DataSpec,
    DocumentMaker,
    bulk_engine,
    insert_batches,
    mib,
    say,
    set_up_entities,
    sidecars,
    sqlite_url,
    start_profiler,
    stop_profiler,
)
from creditdesk.adapters import tables as t
from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.service_layer import aging_report
from creditdesk.service_layer.auth import SYSTEM

BATCH = 50_000


def build(path: Path, open_invoices: int, customers: int, seed: int) -> None:
    for stale in (path, *sidecars(path)):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    url = sqlite_url(path)
    upgrade_database(url)
    now = datetime.now(UTC)
    rt = build_runtime(Settings(database_url=url, admin_token=None))
    set_up_entities(rt, now.date())
    dispose(rt)
    maker = DocumentMaker(DataSpec(1, customers, 0, seed), now.date(), now)
    engine = bulk_engine(path)
    insert_batches(engine, maker.customers())
    fi_ids = list(range(1, customers + 1, 3))  # ids of FI01's customers (index % 3 == 0)
    rng = random.Random(seed)
    rows = []
    with engine.begin() as conn:
        for n in range(open_invoices):
            due = now.date() + timedelta(days=rng.randrange(-400, 45))
            cents = rng.randrange(1_000, 2_000_000)
            rows.append(
                {
                    "legal_entity": "FI01",
                    "id": f"AI{n:09d}",
                    "customer_id": rng.choice(fi_ids),
                    "kind": "invoice",
                    "amount_minor": cents,
                    "currency": "EUR",
                    "open_minor": cents,
                    "invoice_date": due - timedelta(days=30),
                    "due_date": due,
                    "sales_order": None,
                    "body_hash": "-",
                    "created_at": now,
                }
            )
            if len(rows) == BATCH:
                conn.execute(insert(t.invoices), rows)
                rows = []
        if rows:
            conn.execute(insert(t.invoices), rows)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_aging")
    parser.add_argument("--open-invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR)
    parser.add_argument("--totals-only", action="store_true", help="no per-customer rows")
    parser.add_argument("--profile", action="store_true", help="profile one more run")
    args = parser.parse_args(argv)
    path = args.db_dir.resolve() / f"aging_i{args.open_invoices}.db"
    if not path.exists():
        began = time.perf_counter()
        build(path, args.open_invoices, args.customers, args.seed)
        say(
            f"database built once: {args.open_invoices:,} open invoices in "
            f"{time.perf_counter() - began:.1f} s (not part of the aging figure below)"
        )
    rt = build_runtime(Settings(database_url=sqlite_url(path), admin_token=None))
    as_of = datetime.now(UTC).date()
    customers = not args.totals_only
    try:
        times = []
        cpu = []
        for _ in range(args.repeat):
            began, cpu0 = time.perf_counter(), time.process_time()
            report = aging_report.legal_entity_aging(rt, SYSTEM, "FI01", as_of, customers=customers)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - cpu0)
        profile_path = str(path.with_suffix(".profile.txt"))
        profiler = start_profiler(profile_path if args.profile else None)
        if profiler is not None:
            aging_report.legal_entity_aging(rt, SYSTEM, "FI01", as_of, customers=customers)
            top = stop_profiler(profiler, profile_path)
            say(f"profile of one more run (self time) → {profile_path}")
            for line in top:
                say(f"  {line}")
    finally:
        dispose(rt)
    who = f"{report['customers_with_open_items']:,} customers" if customers else "totals only"
    say(
        f"aging of {args.open_invoices:,} open invoices ({who}): "
        f"median {statistics.median(times):.2f} s wall, "
        f"{statistics.median(cpu):.2f} s CPU (runs: {', '.join(f'{x:.2f}' for x in times)}); "
        f"database {mib(path.stat().st_size):.0f} MiB"
    )
    say(f"totals: {report['totals']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
