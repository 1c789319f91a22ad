"""Stress: thousands of credit checks race for shared and individual limits at once.

Three legal entities (FI01 in EUR, NO01 in NOK, SE01 in SEK) each have a member of one credit
group (10,000.00 EUR, no individual limits), and four single customers have individual limits
in their own currency. Many workers — server processes on PostgreSQL, threads on SQLite — start
together and each loop, for a customer chosen in turn:

- push a new sales order (400 to 1,400 EUR worth) and check it at confirmation;
- passed: invoice it in full (its exposure moves from open orders to the balance);
- on hold: cancel it (its exposure leaves), and pay the worker's oldest unpaid invoice of that
  customer, so there is room again and the limit stays contended for the whole run.

Every amount is whole in its currency and the rates (0.08 EUR per NOK, 0.10 EUR per SEK) make
every conversion exact, so afterwards the stored decisions can be replayed exactly: ordered by
the time each transaction read its clock while holding the customer's (and group's) lock, each
decision's ``exposure_before`` must equal what the orders, cancellations and payments committed
before it add up to, and each passed order must have fitted every limit it was tested against.
The running totals must equal the sums over the documents (``maintenance.check_exposure``), and
no customer or group may end above its limit. Lost races and deadlocks are retried inside the
use cases: no worker may see one.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from bisect import bisect_left
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from multiprocessing.queues import Queue
from typing import Any, Protocol

import pytest
from sqlalchemy import select

from creditdesk.adapters import tables as t
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWork
from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.domain.setup import Checkpoint
from creditdesk.service_layer import (
    checks,
    customers,
    documents,
    groups,
    maintenance,
    queries,
    setup,
)
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.documents import InvoiceInput, PaymentInput, SalesOrderInput
from creditdesk.service_layer.runtime import Runtime
from tests.integration.test_concurrent_checks import SerialClock
from tests.support import money

AS_OF = date(2026, 11, 23)
GROUP = "STRESS"
GROUP_LIMIT = Decimal("10000.00")  # EUR
CURRENCIES = {"FI01": "EUR", "NO01": "NOK", "SE01": "SEK"}
TO_EUR = {"EUR": Decimal(1), "NOK": Decimal("0.08"), "SEK": Decimal("0.10")}
MEMBERS = [("FI01", "M1"), ("NO01", "M1"), ("SE01", "M1")]
SINGLES = {  # individual limits in the customer's own currency
    ("FI01", "S1"): Decimal("3000.00"),
    ("FI01", "S2"): Decimal("2500.00"),
    ("NO01", "S1"): Decimal("40000.00"),
    ("SE01", "S1"): Decimal("30000.00"),
}
# the workers take customers in turn; group members come up as often as single customers
TARGETS = [*MEMBERS, *SINGLES, *MEMBERS[:1]]
EUR_AMOUNTS = [Decimal(400 + 100 * k) for k in range(11)]  # 400 … 1,400 EUR worth

CHECKS_TOTAL = 2000
PROCESSES = 8
THREADS = 8


def order_amount(le: str, worker: int, n: int) -> Decimal:
    """A whole amount in the legal entity's currency, worth 400 to 1,400 EUR."""
    eur = EUR_AMOUNTS[(worker * 7 + n * 3) % len(EUR_AMOUNTS)]
    return (eur / TO_EUR[CURRENCIES[le]]).quantize(Decimal("1.00"))


def set_up(rt: Runtime) -> None:
    setup.put_legal_entity(rt, SYSTEM, "FI01", "Contoso Suomi Oy", "EUR")
    setup.put_legal_entity(rt, SYSTEM, "NO01", "Contoso Norge AS", "NOK")
    setup.put_legal_entity(rt, SYSTEM, "SE01", "Contoso Sverige AB", "SEK")
    setup.put_exchange_rate(rt, SYSTEM, "NOK", "EUR", TO_EUR["NOK"], date(2026, 1, 1))
    setup.put_exchange_rate(rt, SYSTEM, "SEK", "EUR", TO_EUR["SEK"], date(2026, 1, 1))
    for le, account in MEMBERS:
        customers.put_customer(
            rt,
            SYSTEM,
            le,
            account,
            name=f"Member {le}",
            currency_code=None,
            payment_terms=None,
            settlement_discount=None,
            credit={},
        )
    for (le, account), limit in SINGLES.items():
        customers.put_customer(
            rt,
            SYSTEM,
            le,
            account,
            name=f"Single {le}/{account}",
            currency_code=None,
            payment_terms=None,
            settlement_discount=None,
            credit={
                "limit": money(f"{limit} {CURRENCIES[le]}"),
                "limit_expires_on": date(2027, 12, 31),
            },
        )
    groups.put_group(
        rt, SYSTEM, GROUP, "Stress group", money(f"{GROUP_LIMIT} EUR"), date(2027, 12, 31)
    )
    for le, account in MEMBERS:
        groups.add_member(rt, SYSTEM, GROUP, le, account)


class Starter(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...


@dataclass
class Tally:
    checks: int = 0
    passed: int = 0
    held: int = 0
    payments: int = 0
    unexpected: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.checks += other.checks
        self.passed += other.passed
        self.held += other.held
        self.payments += other.payments
        self.unexpected.extend(other.unexpected)


def work(rt: Runtime, worker: int, rounds: int, start: Starter) -> Tally:
    """One worker's loop (see the module docstring)."""
    tally = Tally()
    unpaid: dict[tuple[str, str], list[tuple[str, Decimal]]] = defaultdict(list)
    start.wait(timeout=120)
    for n in range(rounds):
        le, account = TARGETS[(worker + n) % len(TARGETS)]
        code = CURRENCIES[le]
        amount = money(f"{order_amount(le, worker, n)} {code}")
        order_id = f"SO-{worker}-{n}"
        documents.put_sales_order(rt, SYSTEM, le, SalesOrderInput(order_id, account, amount))
        decision = checks.run_credit_check(
            rt, SYSTEM, checks.CheckRequest(le, order_id, Checkpoint.CONFIRMATION, True, AS_OF)
        )
        tally.checks += 1
        if decision["decision"] == "passed":
            tally.passed += 1
            invoice_id = f"INV-{worker}-{n}"
            documents.post_invoice(
                rt,
                SYSTEM,
                le,
                InvoiceInput(
                    invoice_id, account, amount, AS_OF, AS_OF + timedelta(days=30), order_id
                ),
            )
            unpaid[(le, account)].append((invoice_id, amount.amount))
            continue
        if decision["decision"] != "on_hold":
            tally.unexpected.append(f"{order_id}: {decision['decision']}")
            continue
        tally.held += 1
        documents.put_sales_order(
            rt, SYSTEM, le, SalesOrderInput(order_id, account, amount, status="cancelled")
        )
        if unpaid[(le, account)]:
            invoice_id, value = unpaid[(le, account)].pop(0)
            paid = money(f"{value} {code}")
            documents.post_payment(
                rt,
                SYSTEM,
                le,
                PaymentInput(f"PAY-{invoice_id}", account, paid, AS_OF, ((invoice_id, paid),)),
            )
            tally.payments += 1
    return tally


Finished = tuple[int, Tally | None, str | None]


def work_in_process(
    url: str, worker: int, rounds: int, start: Starter, results: Queue[Finished]
) -> None:
    """A worker as a server process of its own: its own engine on the same database."""
    try:
        rt = build_runtime(Settings(database_url=url, deliver_webhooks=False))
        try:
            results.put((worker, work(rt, worker, rounds, start), None))
        finally:
            dispose(rt)
    except BaseException:
        results.put((worker, None, traceback.format_exc()))


# --- what must hold afterwards --------------------------------------------------------------


def utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


@dataclass(frozen=True)
class Change:
    at: datetime
    customer_id: int
    value: Decimal
    currency: str


def replay_every_decision(rt: Runtime) -> tuple[int, int]:
    """Replay the history: each decision saw exactly the exposure committed before it, and
    each passed order fitted each limit it was tested against. Returns (decisions, lines)."""
    o, p, c, cu = t.sales_orders, t.payments, t.credit_checks, t.customers
    with rt.uow(read_only=True) as uow:
        assert isinstance(uow, SqlAlchemyUnitOfWork)
        conn = uow.connection
        ids = {
            (row.legal_entity, row.account): int(row.id)
            for row in conn.execute(select(cu.c.id, cu.c.legal_entity, cu.c.account))
        }
        changes: list[Change] = []
        order_of: dict[tuple[str, str], tuple[int, Decimal]] = {}
        for row in conn.execute(
            select(
                o.c.legal_entity,
                o.c.id,
                o.c.customer_id,
                o.c.currency,
                o.c.created_at,
                o.c.updated_at,
                o.c.status,
                o.c.body_hash,
            )
        ):
            # an order is pushed with its full amount; an invoice moves it to the balance
            # (no change in total exposure); a cancellation takes it out again
            le = row.legal_entity
            n_worker, n_round = (int(part) for part in row.id.split("-")[1:])
            value = order_amount(le, n_worker, n_round)
            order_of[(le, row.id)] = (int(row.customer_id), value)
            changes.append(Change(utc(row.created_at), row.customer_id, value, row.currency))
            if row.status == "cancelled":
                changes.append(Change(utc(row.updated_at), row.customer_id, -value, row.currency))
        for paid in conn.execute(
            select(p.c.customer_id, p.c.amount_minor, p.c.currency, p.c.created_at)
        ):
            value = Decimal(paid.amount_minor).scaleb(-2)
            changes.append(Change(utc(paid.created_at), paid.customer_id, -value, paid.currency))
        decisions = conn.execute(
            select(c.c.legal_entity, c.c.sales_order, c.c.checked_at, c.c.body)
        ).all()
    # per customer: change times in order, and the running sum after each (own currency)
    times: dict[int, list[datetime]] = defaultdict(list)
    sums: dict[int, list[Decimal]] = defaultdict(list)
    codes: dict[int, str] = {}
    for ch in sorted(changes, key=lambda change: change.at):
        times[ch.customer_id].append(ch.at)
        previous = sums[ch.customer_id][-1] if sums[ch.customer_id] else Decimal(0)
        sums[ch.customer_id].append(previous + ch.value)
        codes[ch.customer_id] = ch.currency

    def committed_before(customer: int, at: datetime) -> Decimal:
        count = bisect_left(times[customer], at)
        return sums[customer][count - 1] if count else Decimal(0)

    members = {ids[key] for key in MEMBERS}
    lines = 0
    for decided in decisions:
        at = utc(decided.checked_at)
        body: dict[str, Any] = decided.body
        customer_id, own = order_of[(decided.legal_entity, decided.sales_order)]
        own_code = CURRENCIES[decided.legal_entity]
        assert body["decision"] in ("passed", "on_hold"), body["explanation"]
        for line in body["limits"]:
            if not line["checked"]:
                continue
            lines += 1
            scope = line["scope"]
            limit = amount(line["limit"])
            target = line["limit"]["currency"]
            if scope == "group":
                assert customer_id in members
                who = members
                factor: dict[str, Decimal] = TO_EUR
            else:
                who = {customer_id}
                factor = {target: Decimal(1)}
            seen = sum(
                (
                    committed_before(member, at) * factor[codes[member]]
                    for member in who
                    if member in codes
                ),
                Decimal(0),
            )
            expected_before = seen - own * factor[own_code]
            assert amount(line["exposure_before"]) == expected_before, (scope, body["id"])
            assert amount(line["order"]) == own * factor[own_code], body["id"]
            fits = amount(line["exposure_before"]) + amount(line["order"]) <= limit
            assert fits == line["ok"], body["id"]
            if body["decision"] == "passed":
                assert fits, body["explanation"]
    return len(decisions), lines


def assert_no_limit_is_exceeded_now(rt: Runtime) -> None:
    for le, account in [*MEMBERS, *SINGLES]:
        summary = queries.credit_summary(rt, SYSTEM, le, account, AS_OF)
        assert amount(summary["exposure"]["open_orders"]) == 0  # every order invoiced or gone
        if (le, account) in SINGLES:
            assert amount(summary["exposure"]["total"]) <= SINGLES[(le, account)]
        else:
            assert summary["group"] is not None
            assert amount(summary["group"]["exposure"]) <= GROUP_LIMIT


def verify(rt: Runtime, tally: Tally, request: pytest.FixtureRequest, how: str) -> None:
    assert tally.unexpected == []
    assert tally.checks == CHECKS_TOTAL
    assert tally.held > 0
    assert tally.payments > 0
    report = maintenance.check_exposure(rt, SYSTEM)
    assert report.drifts == []
    assert (report.customers, report.groups) == (len(MEMBERS) + len(SINGLES), 1)
    decisions, lines = replay_every_decision(rt)
    assert decisions == CHECKS_TOTAL
    assert_no_limit_is_exceeded_now(rt)
    request.node.user_properties.append(
        (
            "stress",
            f"{how}: {tally.checks} checks ({tally.passed} passed, {tally.held} on hold, "
            f"{tally.payments} payments), {lines} limit lines replayed, 0 violations",
        )
    )


@pytest.fixture
def stress_runtime(runtime: Runtime) -> Runtime:
    set_up(runtime)
    return runtime


@pytest.mark.slow
def test_eight_server_processes_checking_at_once_never_break_a_shared_or_single_limit(
    stress_runtime: Runtime,
    database_url: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several server processes share a database on PostgreSQL")
    monkeypatch.syspath_prepend(str(request.config.rootpath))
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(PROCESSES)
    results: Queue[Finished] = spawn.Queue()
    rounds = CHECKS_TOTAL // PROCESSES
    workers = [
        spawn.Process(target=work_in_process, args=(database_url, w, rounds, start, results))
        for w in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    try:
        finished = [results.get(timeout=300) for _ in workers]
    finally:
        for process in workers:
            process.join(timeout=60)
            if process.is_alive():  # pragma: no cover - only when a worker hangs
                process.kill()
                process.join()
    results.close()
    results.join_thread()

    assert [error for _, _, error in finished if error is not None] == []
    tally = Tally()
    for _, done, _ in finished:
        assert done is not None
        tally.merge(done)
    verify(stress_runtime, tally, request, f"{PROCESSES} processes")


@pytest.mark.slow
def test_eight_threads_checking_at_once_on_sqlite_never_break_a_shared_or_single_limit(
    stress_runtime: Runtime, database_url: str, request: pytest.FixtureRequest
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the thread race runs on the embedded database")
    rt = replace(stress_runtime, clock=SerialClock())
    start = threading.Barrier(THREADS)
    rounds = CHECKS_TOTAL // THREADS
    tally = Tally()
    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(work, rt, w, rounds, start) for w in range(THREADS)]:
            tally.merge(future.result())
    verify(rt, tally, request, f"{THREADS} threads")
