"""Benchmark of the in-process credit check on SQLite: is it flat in the customer's history?

For each size (number of documents) it builds, or reuses, a SQLite database under
``bench/out/``: three legal entities (FI01 EUR, NO01 NOK, SE01 SEK) with exchange rates, a
days-overdue blocking rule beside the default credit-limit rule, customers spread over the
three, credit groups of three members (one per legal entity) and the documents: invoices (70 %
paid by payments applied to them, the rest open, some overdue), credit notes, open sales orders
and a few packing slips. Setup goes through the use cases; the bulk rows are inserted with
SQLAlchemy Core and the running totals (``customer_exposure``, ``group_exposure``) are set with
``INSERT … SELECT … GROUP BY`` so they equal what the use cases would have kept.

Then, in a fresh process per size, it runs the real use case ``checks.run_credit_check`` on
distinct open orders of random customers (group members included), single-threaded, and
prints throughput, latency, peak RSS and database size, and whether the throughput of the
largest size is within 20 % of the smallest ("flat in history").

    .venv/bin/python -m bench.bench_check                    # 100,000 and 1,000,000 documents
    .venv/bin/python -m bench.bench_check --repeat 3         # sizes interleaved, medians
    .venv/bin/python -m bench.bench_check --sizes 1000000 --profile      # needs pyinstrument
    .venv/bin/py-spy record --subprocesses --nolineno --format raw -o bench/out/spy.txt \
        -- .venv/bin/python -m bench.bench_check --sizes 1000000        # low-overhead sampling

"Documents" are invoices and credit notes, payments, sales orders and packing slips (payment
applications are extra rows). The check workload is held steady across sizes (same customers
and groups, same share of tight limits and of late payers, distinct orders per check), so the
sizes differ only in how much history each customer has. Each check also writes its decision
(and a hold when one is placed): that is part of the measured cost. Beside wall-clock figures
the table shows CPU time per check, which other load on a shared machine disturbs less.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import math
import multiprocessing
import random
import re
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Engine,
    Table,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t
from creditdesk.adapters.repositories import SqlCustomerRepository, SqlDocumentRepository
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWorkFactory
from creditdesk.bootstrap import (
    build_runtime,
    dispose,
    start_wal_checkpointer,
    upgrade_database,
)
from creditdesk.config import Settings
from creditdesk.domain.setup import Checkpoint
from creditdesk.service_layer import checks, setup
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime

T = TypeVar("T")

FORMAT = 1  # bump when the generated data changes, so old databases are rebuilt
ROOT = Path(__file__).resolve().parent
DEFAULT_DB_DIR = ROOT / "out"

ENTITIES = (
    ("FI01", "Contoso Suomi Oy", "EUR"),
    ("NO01", "Contoso Norge AS", "NOK"),
    ("SE01", "Contoso Sverige AB", "SEK"),
)
# Units of the currency per euro, to give amounts of the same size in every legal entity.
UNITS_PER_EUR = {"EUR": 1.0, "NOK": 11.7, "SEK": 11.5}
# Rates in force (valid from the first of the month on or before the check date); a monthly
# history of two years is stored so the rate lookup reads a realistic index.
RATES = (("NOK", "EUR", "0.0855"), ("SEK", "EUR", "0.0870"), ("SEK", "NOK", "1.0176"))
RATE_MONTHS = 24

SHARE_INVOICES = 0.55  # of the documents
SHARE_CREDIT_NOTES = 0.02
SHARE_ORDERS = 0.04
SHARE_PACKING_SLIPS = 0.005  # the rest of the documents are payments (0.385)
LATE_PAYER_SHARE = 0.08  # of the customers: one invoice more than OVERDUE_DAYS past due
OVERDUE_DAYS = 60  # the days-overdue blocking rule added in every legal entity
GROUP_DOCUMENT_SHARE = 0.15  # of the documents go to group members (the big accounts)
TIGHT_LIMIT_SHARE = 0.10  # of the customers: limit below their exposure (the order fails)
TIGHT_GROUP_SHARE = 0.15  # of the groups
UNLIMITED_SHARE = 0.02  # of the customers outside groups
BATCH = 20_000
QUERY_SAMPLE = 200  # extra checks, after the timed ones, run with a statement counter


# --- options and results --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataSpec:
    documents: int
    customers: int
    groups: int
    seed: int


@dataclass(slots=True)
class Meta:
    """What a generated database holds, stored beside it as JSON."""

    format: int
    documents: int
    customers: int
    groups: int
    seed: int
    as_of: str
    generated_at: str
    generation_seconds: float
    rows: dict[str, int]

    def matches(self, spec: DataSpec) -> bool:
        return (self.format, self.documents, self.customers, self.groups, self.seed) == (
            FORMAT,
            spec.documents,
            spec.customers,
            spec.groups,
            spec.seed,
        )


@dataclass(frozen=True, slots=True)
class CheckPlan:
    db: str
    as_of: str
    groups: int
    checks: int
    warmup: int
    seed: int
    profile_path: str | None


@dataclass(slots=True)
class SizeResult:
    documents: int
    customers: int
    checks: int
    warmup: int
    seconds: float
    checks_per_s: float
    cpu_ms_per_check: float  # process CPU time: less sensitive to other load on the machine
    cpu_checks_per_s: float
    mean_ms: float
    median_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    peak_rss_mib: float
    db_mib: float
    wal_mib: float
    outcomes: dict[str, int]
    group_checks: int
    queries_per_check: float
    statements: dict[str, float]
    generation_seconds: float = 0.0
    generated_now: bool = False
    profile_path: str | None = None
    profile_top: list[str] = field(default_factory=list)


# --- helpers --------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def db_path(db_dir: Path, spec: DataSpec) -> Path:
    return db_dir / f"check_d{spec.documents}_c{spec.customers}_g{spec.groups}.db"


def meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def sidecars(path: Path) -> tuple[Path, Path]:
    return Path(f"{path}-wal"), Path(f"{path}-shm")


def mib(size: int) -> float:
    return size / (1024 * 1024)


def load_meta(path: Path) -> Meta | None:
    source = meta_path(path)
    if not path.exists() or not source.exists():
        return None
    try:
        return Meta(**json.loads(source.read_text()))
    except (TypeError, ValueError):
        return None


def run_in_child(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` in a fresh process, so each size's peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def say(message: str) -> None:
    print(message, flush=True)


# --- generation -----------------------------------------------------------------------------


def bulk_engine(path: Path) -> Engine:
    """An engine for loading only: WAL like the product, but no fsync, no foreign-key checks
    (rows are consistent by construction) and a large page cache."""
    engine = create_engine(sqlite_url(path))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-524288",
            "temp_store=MEMORY",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


def insert_batches(
    engine: Engine, batches: Iterator[list[tuple[Table, list[dict[str, Any]]]]]
) -> None:
    """Insert each batch (rows of one or more tables) in its own transaction."""
    for batch in batches:
        with engine.begin() as conn:
            for table, rows in batch:
                if rows:
                    conn.execute(insert(table), rows)


def digest(*parts: object) -> str:
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()


class DocumentMaker:
    """Random but reproducible documents for one size."""

    def __init__(self, spec: DataSpec, as_of: date, now: datetime) -> None:
        self.spec = spec
        self.as_of = as_of
        self.now = now
        self.rng = random.Random(spec.seed)
        self.members = 3 * spec.groups  # customer indices 0 … members-1 are group members
        self.n_invoices = round(spec.documents * SHARE_INVOICES)
        self.n_credit_notes = round(spec.documents * SHARE_CREDIT_NOTES)
        self.n_orders = round(spec.documents * SHARE_ORDERS)
        self.n_slips = min(self.n_orders, round(spec.documents * SHARE_PACKING_SLIPS))
        # The rest are payments, one per paid invoice: 0.385 / 0.55 = 70 % of the invoices.
        self.n_payments = (
            spec.documents - self.n_invoices - self.n_credit_notes - self.n_orders - self.n_slips
        )
        if not 0 <= self.n_payments <= self.n_invoices:
            raise ValueError(f"cannot split {spec.documents} documents into the shares")
        late = self.rng.sample(range(spec.customers), round(spec.customers * LATE_PAYER_SHARE))
        self.late_payers = late[: max(0, min(len(late), self.n_invoices - self.n_payments))]

    @staticmethod
    def entity(index: int) -> tuple[str, str]:
        le, _, cur = ENTITIES[index % len(ENTITIES)]
        return le, cur

    def customer(self) -> int:
        """A customer index; group members (the big accounts) get a larger share."""
        if self.members and self.rng.random() < GROUP_DOCUMENT_SHARE:
            return self.rng.randrange(self.members)
        return self.rng.randrange(self.spec.customers)

    def amount(self, low_eur: float, high_eur: float, cur: str) -> int:
        """Minor units, log-uniform between two euro amounts converted roughly to ``cur``."""
        eur = math.exp(self.rng.uniform(math.log(low_eur), math.log(high_eur)))
        return max(1, int(eur * 100 * UNITS_PER_EUR[cur]))

    def groups(self) -> list[dict[str, Any]]:
        return [
            {
                "id": f"G{g:05d}",
                "description": f"Credit group {g}",
                "limit_minor": 0,  # set once the exposure is known
                "limit_currency": "EUR",
                "limit_expires_on": self.as_of + timedelta(days=365),
                "version": 1,
                "created_at": self.now,
                "updated_at": self.now,
            }
            for g in range(self.spec.groups)
        ]

    def customers(self) -> Iterator[list[tuple[Table, list[dict[str, Any]]]]]:
        rows: list[dict[str, Any]] = []
        for i in range(self.spec.customers):
            le, cur = self.entity(i)
            member = i < self.members
            rows.append(
                {
                    "id": i + 1,
                    "legal_entity": le,
                    "account": f"C{i:06d}",
                    "name": f"Customer {i} {le}",
                    "currency": cur,
                    "payment_terms": "Net30",
                    "settlement_discount": None,
                    "limit_minor": 0,  # set once the exposure is known
                    "limit_currency": cur,
                    "limit_expires_on": self.as_of + timedelta(days=365),
                    "limit_date": self.as_of - timedelta(days=self.rng.randrange(30, 900)),
                    "mandatory_limit": False,
                    "unlimited_limit": not member and self.rng.random() < UNLIMITED_SHARE,
                    "exclude": False,
                    "country": le[:2],
                    "customer_since": date(2010, 1, 1) + timedelta(days=i % 5000),
                    "credit_group": f"G{i // 3:05d}" if member else None,
                    "version": 1,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            if len(rows) == BATCH:
                yield [(t.customers, rows)]
                rows = []
        if rows:
            yield [(t.customers, rows)]

    def invoices(self) -> Iterator[list[tuple[Table, list[dict[str, Any]]]]]:
        """Invoices with their payments and applications; then credit notes."""
        invoices: list[dict[str, Any]] = []
        payments: list[dict[str, Any]] = []
        applications: list[dict[str, Any]] = []
        forced = len(self.late_payers)
        paid_left = self.n_payments
        free_left = self.n_invoices - forced
        for j in range(self.n_invoices):
            if j < forced:
                customer = self.late_payers[j]
                terms = 30
                paid = False
                age = self.rng.randint(OVERDUE_DAYS + terms + 10, 200)
            else:
                customer = self.customer()
                terms = self.rng.choice((14, 30, 45))
                paid = self.rng.random() * free_left < paid_left  # exactly n_payments paid
                free_left -= 1
                paid_left -= paid
                # Open invoices of ordinary customers are never past the overdue rule.
                age = (
                    self.rng.randint(terms + 10, 730)
                    if paid
                    else self.rng.randint(0, terms + OVERDUE_DAYS - 5)
                )
            le, cur = self.entity(customer)
            invoice_id = f"INV{j:09d}"
            amount = self.amount(50, 25_000, cur)
            issued = self.as_of - timedelta(days=age)
            due = issued + timedelta(days=terms)
            invoices.append(
                {
                    "legal_entity": le,
                    "id": invoice_id,
                    "customer_id": customer + 1,
                    "kind": "invoice",
                    "amount_minor": amount,
                    "currency": cur,
                    "open_minor": 0 if paid else amount,
                    "invoice_date": issued,
                    "due_date": due,
                    "sales_order": None,
                    "body_hash": digest(le, invoice_id, amount),
                    "created_at": self.now,
                }
            )
            if paid:
                payment_id = f"PAY{j:09d}"
                paid_on = min(self.as_of, due + timedelta(days=self.rng.randint(-10, 15)))
                payments.append(
                    {
                        "legal_entity": le,
                        "id": payment_id,
                        "customer_id": customer + 1,
                        "amount_minor": amount,
                        "currency": cur,
                        "date": paid_on,
                        "body_hash": digest(le, payment_id, amount),
                        "created_at": self.now,
                    }
                )
                applications.append(
                    {
                        "legal_entity": le,
                        "payment_id": payment_id,
                        "invoice_id": invoice_id,
                        "amount_minor": amount,
                        "currency": cur,
                        "date": paid_on,
                    }
                )
            if len(invoices) == BATCH:
                yield [
                    (t.invoices, invoices),
                    (t.payments, payments),
                    (t.payment_applications, applications),
                ]
                invoices, payments, applications = [], [], []
        notes = invoices
        for j in range(self.n_credit_notes):
            customer = self.customer()
            le, cur = self.entity(customer)
            note_id = f"CN{j:09d}"
            amount = self.amount(20, 2_000, cur)
            issued = self.as_of - timedelta(days=self.rng.randint(0, 365))
            notes.append(
                {
                    "legal_entity": le,
                    "id": note_id,
                    "customer_id": customer + 1,
                    "kind": "credit_note",
                    "amount_minor": amount,
                    "currency": cur,
                    "open_minor": -amount,  # what post_invoice stores for a credit note
                    "invoice_date": issued,
                    "due_date": issued,
                    "sales_order": None,
                    "body_hash": digest(le, note_id, amount),
                    "created_at": self.now,
                }
            )
            if len(notes) == BATCH:
                yield [
                    (t.invoices, notes),
                    (t.payments, payments),
                    (t.payment_applications, applications),
                ]
                notes, payments, applications = [], [], []
        if notes or payments:
            yield [
                (t.invoices, notes),
                (t.payments, payments),
                (t.payment_applications, applications),
            ]

    def orders(self) -> Iterator[list[tuple[Table, list[dict[str, Any]]]]]:
        """Open sales orders; the first ones partly delivered by a packing slip."""
        orders: list[dict[str, Any]] = []
        slips: list[dict[str, Any]] = []
        for k in range(self.n_orders):
            customer = self.customer()
            le, cur = self.entity(customer)
            order_id = f"SO{k:09d}"
            amount = self.amount(100, 50_000, cur)
            packed = 0
            if k < self.n_slips:
                packed = int(amount * self.rng.uniform(0.2, 0.6))
                slip_id = f"PS{k:09d}"
                slips.append(
                    {
                        "legal_entity": le,
                        "id": slip_id,
                        "sales_order": order_id,
                        "amount_minor": packed,
                        "currency": cur,
                        "date": self.as_of - timedelta(days=self.rng.randint(0, 20)),
                        "body_hash": digest(le, slip_id, packed),
                        "created_at": self.now,
                    }
                )
            orders.append(
                {
                    "legal_entity": le,
                    "id": order_id,
                    "customer_id": customer + 1,
                    "amount_minor": amount - packed,  # the open, not yet delivered value
                    "currency": cur,
                    "packed_minor": packed,
                    "payment_terms": "Net30",
                    "settlement_discount": None,
                    "status": "open",
                    "exclude": False,
                    "body_hash": digest(le, order_id, amount),
                    "version": 1,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            if len(orders) == BATCH:
                yield [(t.sales_orders, orders), (t.packing_slips, slips)]
                orders, slips = [], []
        if orders:
            yield [(t.sales_orders, orders), (t.packing_slips, slips)]


def set_up_entities(rt: Runtime, as_of: date) -> None:
    """Legal entities (default rule and parameters), the days-overdue rule and the rates,
    all through the use cases."""
    for le, name, cur in ENTITIES:
        setup.put_legal_entity(rt, SYSTEM, le, name, cur)
        setup.add_rule(
            rt, SYSTEM, le, setup.RuleInput(rule="days_overdue", value=Decimal(OVERDUE_DAYS))
        )
    first_of_month = as_of.replace(day=1)
    for source, target, rate in RATES:
        for months_back in range(RATE_MONTHS):
            year, month = divmod(
                first_of_month.year * 12 + first_of_month.month - 1 - months_back, 12
            )
            drift = Decimal(1) + Decimal(months_back % 7 - 3) / Decimal(400)
            value = (Decimal(rate) * drift).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
            setup.put_exchange_rate(rt, SYSTEM, source, target, value, date(year, month + 1, 1))


def set_running_totals(conn: Connection) -> None:
    """customer_exposure and group_exposure from the documents, by aggregation:
    balance = invoices − credit notes − payments; packing slips = packed value of open orders;
    open orders = open value of open orders."""
    i, p, o = t.invoices, t.payments, t.sales_orders
    zero = literal_column("0", BigInteger)
    parts = union_all(
        select(
            i.c.customer_id,
            i.c.currency,
            case((i.c.kind == "invoice", i.c.amount_minor), else_=-i.c.amount_minor).label(
                "balance"
            ),
            zero.label("packing"),
            zero.label("open"),
        ),
        select(p.c.customer_id, p.c.currency, -p.c.amount_minor, zero, zero),
        select(o.c.customer_id, o.c.currency, zero, o.c.packed_minor, o.c.amount_minor).where(
            o.c.status == "open"
        ),
    ).subquery()
    totals = ["balance_minor", "packing_slips_minor", "open_orders_minor"]
    conn.execute(
        insert(t.customer_exposure).from_select(
            ["customer_id", "currency", *totals],
            select(
                parts.c.customer_id,
                parts.c.currency,
                func.sum(parts.c.balance),
                func.sum(parts.c.packing),
                func.sum(parts.c.open),
            ).group_by(parts.c.customer_id, parts.c.currency),
        )
    )
    c, e = t.customers, t.customer_exposure
    conn.execute(
        insert(t.group_exposure).from_select(
            ["credit_group", "legal_entity", "currency", *totals],
            select(
                c.c.credit_group,
                c.c.legal_entity,
                e.c.currency,
                func.sum(e.c.balance_minor),
                func.sum(e.c.packing_slips_minor),
                func.sum(e.c.open_orders_minor),
            )
            .join_from(e, c, c.c.id == e.c.customer_id)
            .where(c.c.credit_group.is_not(None))
            .group_by(c.c.credit_group, c.c.legal_entity, e.c.currency),
        )
    )


def set_limits(conn: Connection, spec: DataSpec) -> None:
    """Limits from the exposure, so the share of orders over the limit is the same at every
    size: most customers have room, TIGHT_LIMIT_SHARE are below their exposure."""
    rng = random.Random(spec.seed + 1)
    e = t.customer_exposure
    exposure = dict(
        conn.execute(
            select(
                e.c.customer_id, e.c.balance_minor + e.c.packing_slips_minor + e.c.open_orders_minor
            )
        ).all()
    )
    rows = []
    for i in range(spec.customers):
        _, cur = DocumentMaker.entity(i)
        total = int(exposure.get(i + 1, 0))
        base = int(5_000 * 100 * UNITS_PER_EUR[cur])
        if total > 0 and rng.random() < TIGHT_LIMIT_SHARE:
            limit = total * 9 // 10
        else:
            limit = max(total, 0) * 2 + base
        rows.append({"cid": i + 1, "lim": limit})
    c = t.customers
    conn.execute(
        update(c).where(c.c.id == bindparam("cid")).values(limit_minor=bindparam("lim")), rows
    )
    to_eur = {"EUR": Decimal(1), **{s: Decimal(r) for s, target, r in RATES if target == "EUR"}}
    g = t.group_exposure
    group_totals: Counter[str] = Counter()
    for group, cur, total in conn.execute(
        select(
            g.c.credit_group,
            g.c.currency,
            g.c.balance_minor + g.c.packing_slips_minor + g.c.open_orders_minor,
        )
    ).all():
        group_totals[group] += int(Decimal(total) * to_eur[cur])
    group_rows: list[dict[str, Any]] = []
    for index in range(spec.groups):
        group = f"G{index:05d}"
        total = group_totals[group]
        if total > 0 and rng.random() < TIGHT_GROUP_SHARE:
            limit = total * 9 // 10
        else:
            limit = max(total, 0) * 2 + 20_000 * 100
        group_rows.append({"gid": group, "lim": limit})
    cg = t.credit_groups
    conn.execute(
        update(cg).where(cg.c.id == bindparam("gid")).values(limit_minor=bindparam("lim")),
        group_rows,
    )


def verify_totals(conn: Connection, spec: DataSpec, sample: int = 300) -> None:
    """The stored running totals equal the product's own recomputation from the documents."""
    rng = random.Random(spec.seed + 2)
    customers = SqlCustomerRepository(conn)
    documents = SqlDocumentRepository(conn)
    for customer_id in rng.sample(range(1, spec.customers + 1), min(sample, spec.customers)):
        stored = sorted(customers.exposure(customer_id), key=lambda b: b.currency.code)
        again = documents.recompute_exposure(customer_id)
        if [(b.currency, b.balance, b.packing_slips, b.open_orders) for b in stored] != [
            (b.currency, b.balance, b.packing_slips, b.open_orders) for b in again
        ]:
            raise AssertionError(f"exposure of customer {customer_id}: {stored} != {again}")
    g, e, c = t.group_exposure, t.customer_exposure, t.customers
    group_sum = conn.execute(select(func.sum(g.c.balance_minor + g.c.open_orders_minor))).scalar()
    member_sum = conn.execute(
        select(func.sum(e.c.balance_minor + e.c.open_orders_minor))
        .join_from(e, c, c.c.id == e.c.customer_id)
        .where(c.c.credit_group.is_not(None))
    ).scalar()
    if group_sum != member_sum:
        raise AssertionError(f"group exposure {group_sum} != members' exposure {member_sum}")


def count_rows(conn: Connection) -> dict[str, int]:
    tables = (
        t.customers,
        t.credit_groups,
        t.invoices,
        t.payments,
        t.payment_applications,
        t.sales_orders,
        t.packing_slips,
        t.customer_exposure,
        t.group_exposure,
        t.exchange_rates,
        t.blocking_rules,
    )
    return {
        table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        for table in tables
    }


def generate(spec: DataSpec, path: Path) -> Meta:
    """Build the database for one size (runs in a child process)."""
    started = time.perf_counter()
    for stale in (path, meta_path(path), *sidecars(path)):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    as_of = now.date()
    url = sqlite_url(path)
    upgrade_database(url)
    rt = build_runtime(Settings(database_url=url, admin_token=None))
    set_up_entities(rt, as_of)
    dispose(rt)

    maker = DocumentMaker(spec, as_of, now)
    engine = bulk_engine(path)
    try:
        with engine.begin() as conn:
            conn.execute(insert(t.credit_groups), maker.groups())
        insert_batches(engine, maker.customers())
        say(f"  customers  {time.perf_counter() - started:7.1f} s")
        insert_batches(engine, maker.invoices())
        say(f"  invoices   {time.perf_counter() - started:7.1f} s")
        insert_batches(engine, maker.orders())
        say(f"  orders     {time.perf_counter() - started:7.1f} s")
        with engine.begin() as conn:
            set_running_totals(conn)
            set_limits(conn, spec)
        say(f"  totals     {time.perf_counter() - started:7.1f} s")
        with engine.begin() as conn:
            verify_totals(conn, spec)
            rows = count_rows(conn)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    documents = sum(
        rows[name] for name in ("invoices", "payments", "sales_orders", "packing_slips")
    )
    if documents != spec.documents:
        raise AssertionError(f"generated {documents} documents, wanted {spec.documents}")
    meta = Meta(
        format=FORMAT,
        documents=spec.documents,
        customers=spec.customers,
        groups=spec.groups,
        seed=spec.seed,
        as_of=as_of.isoformat(),
        generated_at=now.isoformat(timespec="seconds"),
        generation_seconds=round(time.perf_counter() - started, 1),
        rows=rows,
    )
    meta_path(path).write_text(json.dumps(asdict(meta), indent=2) + "\n")
    return meta


# --- the checks -----------------------------------------------------------------------------

_VERB = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|BEGIN \w+|\w+)", re.IGNORECASE)
_TABLE = re.compile(r"\bFROM\s+(\w+)|^\s*(?:INSERT INTO|UPDATE)\s+(\w+)", re.IGNORECASE)


def statement_kind(sql: str) -> str:
    """``SELECT sales_orders``, ``INSERT INTO credit_checks``, ``BEGIN IMMEDIATE`` …"""
    verb = _VERB.match(sql)
    table = _TABLE.search(sql)
    name = (table.group(1) or table.group(2)) if table else ""
    return f"{verb.group(1).upper() if verb else '?'} {name}".strip()


def engine_of(rt: Runtime) -> Engine:
    factory = rt.uow
    assert isinstance(factory, SqlAlchemyUnitOfWorkFactory)
    return factory.engine


def pick_orders(engine: Engine, count: int, seed: int) -> list[tuple[str, str, int]]:
    """Distinct open orders in random order (with repeats only if there are too few)."""
    o = t.sales_orders
    with engine.connect() as conn:
        orders = [
            (row[0], row[1], row[2])
            for row in conn.execute(
                select(o.c.legal_entity, o.c.id, o.c.customer_id)
                .where(o.c.status == "open")
                .order_by(o.c.legal_entity, o.c.id)
            ).all()
        ]
    rng = random.Random(seed)
    if count <= len(orders):
        return rng.sample(orders, count)
    say(f"  warning: only {len(orders)} open orders for {count} checks; some orders repeat")
    return [rng.choice(orders) for _ in range(count)]


def reset_decisions(engine: Engine) -> int:
    """Forget the decisions and holds of earlier runs, so every run checks the same orders
    from the same state (checks do not change exposure)."""
    with engine.begin() as conn:
        removed = 0
        for table in (t.hold_history, t.credit_holds, t.credit_checks):
            removed += conn.execute(delete(table)).rowcount
    raw = engine.raw_connection()  # outside a transaction: the engine begins IMMEDIATE
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    return removed


def start_profiler(path: str | None) -> Any:
    if path is None:
        return None
    try:
        module = importlib.import_module("pyinstrument")
    except ImportError:
        say("  --profile needs pyinstrument: .venv/bin/pip install pyinstrument")
        return None
    profiler = module.Profiler(interval=0.001)
    profiler.start()
    return profiler


def stop_profiler(profiler: Any, path: str) -> list[str]:
    """Write the call tree and the flat self-time profile; return the flat profile's top."""
    profiler.stop()
    renderers = importlib.import_module("pyinstrument.renderers")
    tree = profiler.output_text(unicode=False, color=False)
    flat = profiler.output(renderers.ConsoleRenderer(flat=True, flat_time="self"))
    flat_total = profiler.output(renderers.ConsoleRenderer(flat=True, flat_time="total"))
    Path(path).write_text(
        f"# flat, self time\n{flat}\n# flat, total time\n{flat_total}\n# call tree\n{tree}"
    )
    lines = [line for line in flat.splitlines() if re.match(r"^\s*\d+\.\d+", line)]
    return lines[:15]


def run_checks(plan: CheckPlan) -> SizeResult:
    """Run the credit checks against one database (runs in a child process)."""
    path = Path(plan.db)
    upgrade_database(sqlite_url(path))  # a reused database gets any newer migration
    settings = Settings(database_url=sqlite_url(path), admin_token=None)
    rt = build_runtime(settings)
    engine = engine_of(rt)
    # as in a serving process (the API's lifespan): WAL checkpoints in a background thread
    checkpointer = start_wal_checkpointer(settings)
    try:
        removed = reset_decisions(engine)
        if removed:
            say(f"  removed {removed:,} decision and hold rows of an earlier run")
        as_of = date.fromisoformat(plan.as_of)
        members = 3 * plan.groups
        picked = pick_orders(engine, plan.warmup + plan.checks + QUERY_SAMPLE, plan.seed)

        def request(order: tuple[str, str, int]) -> checks.CheckRequest:
            return checks.CheckRequest(order[0], order[1], Checkpoint.CONFIRMATION, True, as_of)

        warm = [request(o) for o in picked[: plan.warmup]]
        timed_orders = picked[plan.warmup : plan.warmup + plan.checks]
        timed = [request(o) for o in timed_orders]
        counted = [request(o) for o in picked[plan.warmup + plan.checks :]]

        for req in warm:
            checks.run_credit_check(rt, SYSTEM, req)

        latencies: list[int] = []
        outcomes: Counter[str] = Counter()
        profiler = start_profiler(plan.profile_path)
        clock = time.perf_counter_ns
        cpu_began = time.process_time_ns()
        began = clock()
        for req in timed:
            t0 = clock()
            body = checks.run_credit_check(rt, SYSTEM, req)
            latencies.append(clock() - t0)
            outcomes[body["decision"]] += 1
        seconds = (clock() - began) / 1e9
        cpu_seconds = (time.process_time_ns() - cpu_began) / 1e9
        profile_top: list[str] = []
        if profiler is not None and plan.profile_path is not None:
            profile_top = stop_profiler(profiler, plan.profile_path)

        # Statements per check, outside the timed loop (the listener costs a little).
        kinds: Counter[str] = Counter()

        def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            kinds[statement_kind(statement)] += 1

        # The hot-path statements go to the DB-API cursor directly (no SQLAlchemy events):
        # count what SQLite itself is asked to run, on fresh connections.
        def trace(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.set_trace_callback(lambda sql: count(None, None, sql))

        engine.dispose()
        event.listen(engine, "connect", trace)
        for req in counted:
            checks.run_credit_check(rt, SYSTEM, req)
        event.remove(engine, "connect", trace)
        engine.dispose()
        sampled = max(1, len(counted))

        ms = sorted(n / 1e6 for n in latencies)
        wal = sidecars(path)[0]
        meta = load_meta(path)
        return SizeResult(
            documents=meta.documents if meta else 0,
            customers=meta.customers if meta else 0,
            checks=len(ms),
            warmup=len(warm),
            seconds=round(seconds, 3),
            checks_per_s=round(len(ms) / seconds, 1),
            cpu_ms_per_check=round(1000 * cpu_seconds / len(ms), 3),
            cpu_checks_per_s=round(len(ms) / cpu_seconds, 1),
            mean_ms=round(statistics.fmean(ms), 3),
            median_ms=round(statistics.median(ms), 3),
            p90_ms=round(percentile(ms, 0.90), 3),
            p99_ms=round(percentile(ms, 0.99), 3),
            max_ms=round(ms[-1], 3),
            peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            db_mib=round(mib(path.stat().st_size), 1),
            wal_mib=round(mib(wal.stat().st_size) if wal.exists() else 0.0, 1),
            outcomes=dict(outcomes),
            group_checks=sum(1 for o in timed_orders if o[2] <= members),
            queries_per_check=round(sum(kinds.values()) / sampled, 2),
            statements={k: round(v / sampled, 2) for k, v in kinds.most_common()},
            profile_path=plan.profile_path,
            profile_top=profile_top,
        )
    finally:
        if checkpointer is not None:
            checkpointer.stop()
        dispose(rt)


# --- report ---------------------------------------------------------------------------------


def print_table(results: list[SizeResult]) -> None:
    header = (
        f"{'documents':>10} {'customers':>9} {'checks':>6} {'checks/s':>9} {'median ms':>9} "
        f"{'p99 ms':>7} {'CPU ms':>7} {'peak RSS MiB':>12} {'DB MiB':>8} {'held %':>6} "
        f"{'grp chk':>7} {'SQL/chk':>7}"
    )
    say("")
    say(header)
    say("-" * len(header))
    for r in results:
        held = 100 * r.outcomes.get("on_hold", 0) / max(1, r.checks)
        say(
            f"{r.documents:>10,} {r.customers:>9,} {r.checks:>6,} {r.checks_per_s:>9,.1f} "
            f"{r.median_ms:>9.3f} {r.p99_ms:>7.3f} {r.cpu_ms_per_check:>7.3f} "
            f"{r.peak_rss_mib:>12.1f} {r.db_mib + r.wal_mib:>8.1f} {held:>6.1f} "
            f"{r.group_checks:>7,} {r.queries_per_check:>7.2f}"
        )


def flatness(
    results: list[SizeResult], metric: Callable[[SizeResult], float], tolerance: float = 0.20
) -> tuple[float, bool] | None:
    """Throughput of the largest size over that of the smallest, and whether it is within
    ``tolerance`` of 1."""
    if len(results) < 2:
        return None
    ordered = sorted(results, key=lambda r: r.documents)
    ratio = metric(ordered[-1]) / metric(ordered[0])
    return ratio, abs(1 - ratio) <= tolerance


def summarize(runs: list[SizeResult]) -> SizeResult:
    """One row for a size run several times: the median of each timing, the largest RSS."""

    def med(get: Callable[[SizeResult], float]) -> float:
        return round(statistics.median(get(r) for r in runs), 3)

    return replace(
        runs[0],
        seconds=med(lambda r: r.seconds),
        checks_per_s=med(lambda r: r.checks_per_s),
        cpu_ms_per_check=med(lambda r: r.cpu_ms_per_check),
        cpu_checks_per_s=med(lambda r: r.cpu_checks_per_s),
        mean_ms=med(lambda r: r.mean_ms),
        median_ms=med(lambda r: r.median_ms),
        p90_ms=med(lambda r: r.p90_ms),
        p99_ms=med(lambda r: r.p99_ms),
        max_ms=med(lambda r: r.max_ms),
        peak_rss_mib=max(r.peak_rss_mib for r in runs),
        db_mib=max(r.db_mib for r in runs),
        wal_mib=max(r.wal_mib for r in runs),
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_check", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument("--sizes", default="100000,1000000", help="documents per database")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=1_000, help="credit groups of 3 members")
    parser.add_argument("--checks", type=int, default=3_000, help="timed checks per size")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--regenerate", action="store_true", help="rebuild the databases")
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the checks of every size this many times, sizes interleaved; report medians",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the timed loop with pyinstrument (figures then include its overhead)",
    )
    args = parser.parse_args(argv)
    try:
        args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes numbers separated by commas, e.g. 100000,1000000")
    if not args.size_list or min(args.size_list) <= 0:
        parser.error("--sizes needs at least one positive size")
    if args.customers < 3 * args.groups or args.groups < 0:
        parser.error("--customers must be at least 3 × --groups")
    if args.checks <= 0 or args.warmup < 0 or args.repeat <= 0:
        parser.error("--checks and --repeat must be positive and --warmup not negative")
    return args


def prepare(args: argparse.Namespace, db_dir: Path, size: int) -> tuple[Path, Meta, bool]:
    """The database for one size: reused when it matches, else generated."""
    spec = DataSpec(size, args.customers, args.groups, args.seed)
    path = db_path(db_dir, spec)
    meta = None if args.regenerate else load_meta(path)
    if meta is not None and meta.matches(spec):
        say(
            f"reusing {path.name} ({size:,} documents, generated {meta.generated_at} in "
            f"{meta.generation_seconds:.1f} s; --regenerate to rebuild)"
        )
        return path, meta, False
    say(f"generating {size:,} documents, {spec.customers:,} customers → {path}")
    meta = run_in_child(generate, spec, path)
    say(f"generated {size:,} documents in {meta.generation_seconds:.1f} s")
    return path, meta, True


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    db_dir: Path = args.db_dir.resolve()
    db_dir.mkdir(parents=True, exist_ok=True)
    prepared = {size: prepare(args, db_dir, size) for size in args.size_list}

    runs: dict[int, list[SizeResult]] = {size: [] for size in args.size_list}
    for round_no in range(args.repeat):
        for size in args.size_list:
            path, meta, generated_now = prepared[size]
            profile = args.profile and round_no == 0
            plan = CheckPlan(
                db=str(path),
                as_of=meta.as_of,
                groups=meta.groups,
                checks=args.checks,
                warmup=args.warmup,
                seed=args.seed,
                profile_path=str(db_dir / f"profile_d{size}.txt") if profile else None,
            )
            say(
                f"checking {args.checks:,} orders (+{args.warmup} warm-up) at {size:,} documents"
                + (f", round {round_no + 1}/{args.repeat}" if args.repeat > 1 else "")
            )
            result = run_in_child(run_checks, plan)
            result.generation_seconds = meta.generation_seconds
            result.generated_now = generated_now
            runs[size].append(result)
            if result.profile_top:
                say(f"profile of the timed loop (pyinstrument, self time) → {result.profile_path}")
                for line in result.profile_top:
                    say(f"  {line}")

    results = [summarize(runs[size]) for size in args.size_list]
    if args.repeat > 1:
        say(f"\nmedians of {args.repeat} rounds per size")
    if args.profile:
        say("note: the first round ran under the profiler; its timings include the overhead")
    print_table(results)
    for r in results:
        top = ", ".join(f"{k} {v:g}" for k, v in r.statements.items())
        say(f"statements per check at {r.documents:,}: {top}")
        say(f"outcomes at {r.documents:,}: {dict(sorted(r.outcomes.items()))}")
    verdict = flatness(results, lambda r: r.checks_per_s)
    cpu_verdict = flatness(results, lambda r: r.cpu_checks_per_s)
    if verdict is not None and cpu_verdict is not None:
        ratio, ok = verdict
        say(
            f"throughput ratio largest/smallest: {ratio:.3f} → flat in history (±20 %): "
            f"{'PASS' if ok else 'FAIL'}"
        )
        say(
            f"(same on CPU time, which other load on the machine disturbs less: "
            f"{cpu_verdict[0]:.3f} → {'PASS' if cpu_verdict[1] else 'FAIL'})"
        )
    if args.json is not None:
        payload = {
            "sizes": [asdict(r) for r in results],
            "rounds": {str(size): [asdict(r) for r in runs[size]] for size in args.size_list},
            "ratio": verdict[0] if verdict else None,
            "flat": verdict[1] if verdict else None,
            "cpu_ratio": cpu_verdict[0] if cpu_verdict else None,
            "options": {k: str(v) for k, v in vars(args).items()},
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        say(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
