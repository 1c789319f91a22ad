"""Benchmark of bulk ingestion (``creditdesk import`` / ``documents:batch``) into SQLite.

A fresh database with the benchmark's three legal entities, credit groups and customers;
then ``--documents`` rows for FI01 — invoices (55 %), credit notes (2 %), payments (38.5 %,
each applied to an earlier invoice, so about 70 % of the invoices end up paid), open sales
orders (4 %) and packing slips (0.5 %) — are loaded through ``bulk_import.import_documents``
in batches, the same path as the CLI and the batch endpoint (rows are dicts as the NDJSON
reader yields them; file reading is not timed). It prints documents/s, CPU time per
document, peak RSS and database size, then loads the same rows again (all unchanged: the
idempotent re-run) and checks the running totals of a sample of customers against totals
recomputed from the documents.

    .venv/bin/python -m bench.bench_import                       # 200,000 documents
    .venv/bin/python -m bench.bench_import --documents 1000000 --batch 10000
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

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
)
from creditdesk.adapters import tables as t
from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.service_layer import bulk_import
from creditdesk.service_layer.auth import SYSTEM


def make_rows(count: int, accounts: Sequence[str], seed: int, as_of: date) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    open_invoices: list[tuple[str, str, int]] = []  # id, account, open cents
    open_orders: list[tuple[str, int]] = []
    n = 0
    while len(rows) < count:
        n += 1
        roll = rng.random()
        account = rng.choice(accounts)
        day = as_of - timedelta(days=rng.randrange(1, 700))
        if roll < 0.55 or (roll < 0.935 and not open_invoices):
            cents = rng.randrange(1_000, 5_000_000)
            doc_id = f"BI{n:09d}"
            rows.append(
                {
                    "type": "invoice",
                    "id": doc_id,
                    "customer": account,
                    "amount": f"{cents / 100:.2f}",
                    "currency": "EUR",
                    "invoice_date": day.isoformat(),
                    "due_date": (day + timedelta(days=30)).isoformat(),
                }
            )
            open_invoices.append((doc_id, account, cents))
        elif roll < 0.57:
            rows.append(
                {
                    "type": "credit_note",
                    "id": f"BC{n:09d}",
                    "customer": account,
                    "amount": f"{rng.randrange(100, 50_000) / 100:.2f}",
                    "currency": "EUR",
                    "invoice_date": day.isoformat(),
                    "due_date": day.isoformat(),
                }
            )
        elif roll < 0.955:
            doc_id, payer, cents = open_invoices.pop(rng.randrange(len(open_invoices)))
            amount = f"{cents / 100:.2f}"
            rows.append(
                {
                    "type": "payment",
                    "id": f"BP{n:09d}",
                    "customer": payer,
                    "amount": amount,
                    "currency": "EUR",
                    "date": as_of.isoformat(),
                    "applies_to": [{"invoice": doc_id, "amount": amount}],
                }
            )
        elif roll < 0.995 or not open_orders:
            doc_id = f"BO{n:09d}"
            cents = rng.randrange(10_000, 2_000_000)
            rows.append(
                {
                    "type": "sales_order",
                    "id": doc_id,
                    "customer": account,
                    "amount": f"{cents / 100:.2f}",
                    "currency": "EUR",
                }
            )
            open_orders.append((doc_id, cents))
        else:
            order_id, cents = open_orders.pop(rng.randrange(len(open_orders)))
            rows.append(
                {
                    "type": "packing_slip",
                    "id": f"BS{n:09d}",
                    "sales_order": order_id,
                    "amount": f"{cents / 200:.2f}",
                    "currency": "EUR",
                    "date": as_of.isoformat(),
                }
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_import")
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=bulk_import.DEFAULT_BATCH)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR)
    args = parser.parse_args(argv)

    path: Path = args.db_dir.resolve() / f"import_d{args.documents}.db"
    for stale in (path, *sidecars(path)):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    url = sqlite_url(path)
    upgrade_database(url)
    now = datetime.now(UTC)
    rt = build_runtime(Settings(database_url=url, admin_token=None))
    set_up_entities(rt, now.date())
    maker = DocumentMaker(DataSpec(1, args.customers, args.groups, args.seed), now.date(), now)
    engine = bulk_engine(path)
    with engine.begin() as conn:
        conn.execute(insert(t.credit_groups), maker.groups())
    insert_batches(engine, maker.customers())
    engine.dispose()
    accounts = [f"C{i:06d}" for i in range(0, args.customers, 3)]  # FI01's customers
    rows = make_rows(args.documents, accounts, args.seed, now.date())
    say(f"{len(rows):,} documents for {len(accounts):,} FI01 customers, batches of {args.batch:,}")

    cpu0 = time.process_time()
    report = bulk_import.import_documents(rt, SYSTEM, "FI01", rows, batch_size=args.batch)
    cpu = time.process_time() - cpu0
    again = bulk_import.import_documents(rt, SYSTEM, "FI01", rows, batch_size=args.batch)

    with rt.uow(read_only=True) as uow:
        sample = random.Random(1).sample(accounts, min(300, len(accounts)))
        drift = 0
        for account in sample:
            stored = uow.customers.get("FI01", account)
            assert stored is not None
            kept = {b.currency.code: b for b in uow.customers.exposure(stored.id)}
            for bucket in uow.documents.recompute_exposure(stored.id):
                got = kept.get(bucket.currency.code)
                if got is None or (got.balance, got.packing_slips, got.open_orders) != (
                    bucket.balance,
                    bucket.packing_slips,
                    bucket.open_orders,
                ):
                    drift += 1
    dispose(rt)
    wal = sidecars(path)[0]
    size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(
        f"import: {report.accepted:,} accepted, {len(report.rejected):,} rejected in "
        f"{report.seconds:.2f} s → {report.rows / report.seconds:,.0f} documents/s "
        f"(CPU {1e6 * cpu / report.rows:.1f} µs/document)"
    )
    say(
        f"re-run (idempotent): {again.unchanged:,} unchanged, {again.accepted:,} accepted in "
        f"{again.seconds:.2f} s → {again.rows / again.seconds:,.0f} rows/s"
    )
    say(f"peak RSS {rss:.0f} MiB, database {mib(size):.0f} MiB")
    say(f"running totals vs documents, {len(sample)} customers: {drift} differ")
    if report.rejected:
        say(f"first rejection: {report.rejected[0]}")
    return 0 if drift == 0 and not report.rejected else 1


if __name__ == "__main__":
    raise SystemExit(main())
