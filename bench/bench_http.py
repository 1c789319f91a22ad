"""Benchmark of the credit check over HTTP: ``creditdesk serve`` and a concurrent client.

It reuses a database built by ``bench.bench_check`` (generated there if missing) and starts
``creditdesk serve`` on it as a separate process, then posts credit checks of distinct open
orders with an httpx async client keeping ``--concurrency`` requests in flight (16), and prints
checks/s, median and p99 latency, the server processes' peak RSS and CPU time per check.

Two paths:

* SQLite (default): ``creditdesk serve`` with one process on the bench database.
* PostgreSQL (``--postgres URL``): the bench database is copied into a database created for
  the run (``creditdesk_bench_<pid>``, dropped afterwards), then ``creditdesk serve --workers
  2`` serves it: two stateless server processes on one database.

    .venv/bin/python -m bench.bench_http --size 1000000
    .venv/bin/python -m bench.bench_http --size 100000 \\
        --postgres 'postgresql+psycopg://root@/postgres?host=/var/run/postgresql'
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from bench.bench_check import (
    DEFAULT_DB_DIR,
    DataSpec,
    db_path,
    load_meta,
    percentile,
    run_in_child,
    say,
    sqlite_url,
)
from bench.bench_check import generate as generate_sqlite
from creditdesk.adapters import tables as t
from creditdesk.bootstrap import upgrade_database

TOKEN = "bench-admin-token"
COPY_BATCH = 20_000
# the tables a check reads or writes, copied to PostgreSQL (documents included: the overdue
# query reads the invoices)
COPIED = (
    "legal_entities",
    "exchange_rates",
    "blocking_rules",
    "credit_groups",
    "customers",
    "customer_exposure",
    "group_exposure",
    "invoices",
    "payments",
    "payment_applications",
    "sales_orders",
    "packing_slips",
)


@dataclass
class HttpResult:
    path: str
    documents: int
    checks: int
    errors: int
    seconds: float
    checks_per_s: float
    median_ms: float
    p99_ms: float
    server_cpu_ms_per_check: float
    server_rss_mib: float
    client_cpu_ms_per_check: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pick_orders(url: str, count: int, seed: int) -> list[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = list(
                conn.execute(
                    select(t.sales_orders.c.legal_entity, t.sales_orders.c.id).where(
                        t.sales_orders.c.status == "open"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    random.Random(seed).shuffle(rows)
    return [(row[0], row[1]) for row in rows[:count]]


def copy_to_postgres(source: str, target: str) -> None:
    """The bench data into a fresh PostgreSQL database (schema by the migrations)."""
    upgrade_database(target)
    src = create_engine(source)
    dst = create_engine(target)
    try:
        with dst.begin() as out:
            for name in reversed(COPIED):
                out.execute(text(f"DELETE FROM {name}"))
        for name in COPIED:
            table = t.metadata.tables[name]
            with src.connect() as conn, dst.begin() as out:
                result = conn.execution_options(yield_per=COPY_BATCH).execute(select(table))
                for part in result.mappings().partitions(COPY_BATCH):
                    out.execute(insert(table), [dict(row) for row in part])
            say(f"  copied {name}")
        with dst.begin() as out:
            out.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('customers', 'id'), "
                    "(SELECT max(id) FROM customers))"
                )
            )
            out.execute(text("ANALYZE"))
    finally:
        src.dispose()
        dst.dispose()


def process_stats(pid: int) -> tuple[float, float]:
    """CPU seconds and peak RSS (MiB) of a process and its children (Linux /proc)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids.extend(int(c) for c in children)
    except OSError:
        pass
    cpu = 0.0
    rss = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    rss += int(line.split()[1]) / 1024
        except OSError:
            continue
    return cpu, rss


async def drive(
    base: str, orders: list[tuple[str, str]], concurrency: int, as_of: str
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    queue = list(reversed(orders))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base,
        headers={"Authorization": f"Bearer {TOKEN}"},
        limits=limits,
        timeout=60,
    ) as client:

        async def worker() -> None:
            nonlocal errors
            while queue:
                le, order = queue.pop()
                began = time.perf_counter()
                r = await client.post(
                    f"/api/v1/legal-entities/{le}/sales-orders/{order}/credit-checks",
                    json={"checkpoint": "confirmation", "posting": True, "as_of": as_of},
                )
                latencies.append((time.perf_counter() - began) * 1000)
                if r.status_code != 200:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, errors, time.perf_counter() - began


def wait_ready(base: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("creditdesk serve exited")
        try:
            if httpx.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("creditdesk serve did not answer")


def run_http(
    path_name: str,
    url: str,
    documents: int,
    as_of: str,
    orders: list[tuple[str, str]],
    warmup: int,
    workers: int,
    concurrency: int,
) -> HttpResult:
    port = free_port()
    env = {
        **os.environ,
        "CREDITDESK_DATABASE_URL": url,
        "CREDITDESK_ADMIN_TOKEN": TOKEN,
        "CREDITDESK_DELIVER_WEBHOOKS": "false",
    }
    exe = str(Path(sys.executable).with_name("creditdesk"))
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        asyncio.run(drive(base, orders[:warmup], concurrency, as_of))
        cpu0, _ = process_stats(proc.pid)
        client0 = time.process_time()
        latencies, errors, seconds = asyncio.run(drive(base, orders[warmup:], concurrency, as_of))
        client_cpu = time.process_time() - client0
        cpu1, rss = process_stats(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ms = sorted(latencies)
    return HttpResult(
        path=path_name,
        documents=documents,
        checks=len(ms),
        errors=errors,
        seconds=round(seconds, 2),
        checks_per_s=round(len(ms) / seconds, 1),
        median_ms=round(statistics.median(ms), 2),
        p99_ms=round(percentile(ms, 0.99), 2),
        server_cpu_ms_per_check=round(1000 * (cpu1 - cpu0) / len(ms), 3),
        server_rss_mib=round(rss, 1),
        client_cpu_ms_per_check=round(1000 * client_cpu / len(ms), 3),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_http")
    parser.add_argument("--size", type=int, default=1_000_000, help="documents")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--checks", type=int, default=3_000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="server processes on SQLite")
    parser.add_argument("--postgres", help="a PostgreSQL URL whose server may create a database")
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR)
    args = parser.parse_args(argv)

    spec = DataSpec(args.size, args.customers, args.groups, args.seed)
    path = db_path(args.db_dir.resolve(), spec)
    meta = load_meta(path)
    if meta is None or not meta.matches(spec):
        say(f"generating {args.size:,} documents → {path}")
        meta = run_in_child(generate_sqlite, spec, path)
    source = sqlite_url(path)
    engine = create_engine(source)
    with engine.begin() as conn:  # earlier runs' decisions: orders are checked afresh
        conn.execute(t.hold_history.delete())
        conn.execute(t.credit_holds.delete())
        conn.execute(t.credit_checks.delete())
    engine.dispose()
    orders = pick_orders(source, args.warmup + args.checks, args.seed)
    results: list[HttpResult] = []

    say(f"HTTP on SQLite, {args.workers} process, {args.concurrency} in flight")
    results.append(
        run_http(
            "http-sqlite",
            source,
            meta.documents,
            meta.as_of,
            orders,
            args.warmup,
            args.workers,
            args.concurrency,
        )
    )
    if args.postgres:
        admin_url = make_url(args.postgres)
        name = f"creditdesk_bench_{os.getpid()}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = admin_url.set(database=name).render_as_string(hide_password=False)
        try:
            say(f"copying the bench data into PostgreSQL database {name}")
            copy_to_postgres(source, target)
            say(f"HTTP on PostgreSQL, {args.pg_workers} processes, {args.concurrency} in flight")
            results.append(
                run_http(
                    f"http-postgres-{args.pg_workers}p",
                    target,
                    meta.documents,
                    meta.as_of,
                    orders,
                    args.warmup,
                    args.pg_workers,
                    args.concurrency,
                )
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    header = (
        f"{'path':<20} {'documents':>10} {'checks':>7} {'errors':>6} {'checks/s':>9} "
        f"{'median ms':>9} {'p99 ms':>8} {'srv CPU ms':>10} {'srv RSS MiB':>11} "
        f"{'client CPU ms':>13}"
    )
    say("")
    say(header)
    say("-" * len(header))
    for r in results:
        say(
            f"{r.path:<20} {r.documents:>10,} {r.checks:>7,} {r.errors:>6} "
            f"{r.checks_per_s:>9,.1f} {r.median_ms:>9.2f} {r.p99_ms:>8.2f} "
            f"{r.server_cpu_ms_per_check:>10.3f} {r.server_rss_mib:>11.1f} "
            f"{r.client_cpu_ms_per_check:>13.3f}"
        )
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
