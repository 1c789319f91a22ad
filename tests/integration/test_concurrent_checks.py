"""The shared credit-group limit holds when many writers race (DESIGN "Concurrency").

A credit group with a 10,000.00 EUR limit has one member in FI01 (EUR) and one in NO01 (NOK,
at 0.08 EUR per NOK). Several threads — or server processes — each loop: push a new sales
order of 1,000.00 EUR or 12,500.00 NOK (1,000.00 EUR), check it at confirmation, then

- on hold: cancel the order (its exposure leaves, its hold closes);
- passed: invoice it (exposure moves from open orders to balance), and pay every other
  invoice at once (exposure leaves), so the group keeps hovering at its limit while orders
  race for the room that is left.

Whatever the interleaving, every check must be decided (passed or on hold, busy databases and
lost races retried inside), every passed decision must have fitted the group limit with every
other order then open counted, the running exposure must equal the sums over the documents,
and what passed and is still unpaid must never be more than the limit.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from multiprocessing.queues import Queue
from typing import Any, Protocol

import pytest
from sqlalchemy import func, select

from creditdesk.adapters import tables as t
from creditdesk.adapters.repositories import SqlDocumentRepository
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWork
from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.domain.exposure import ExposureBucket
from creditdesk.domain.setup import Checkpoint
from creditdesk.service_layer import checks, customers, documents, groups, queries, setup
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.documents import InvoiceInput, PaymentInput, SalesOrderInput
from creditdesk.service_layer.runtime import Runtime
from tests.support import money

AS_OF = date(2026, 11, 23)
GROUP = "NORDWIND"
LIMIT = Decimal("10000.00")
ORDER_IN_EUR = Decimal("1000.00")
ORDERS = {"FI01": "1000.00 EUR", "NO01": "12500.00 NOK"}  # the same 1,000.00 EUR
NOK_TO_EUR = Decimal("0.0800")
THREADS = 8
ROUNDS = 8


class SerialClock:
    """Wall-clock time that never repeats and never goes back, shared by every thread.

    Each use case reads the clock while it holds the group row, so sorting the stored
    timestamps gives the order in which the transactions really ran."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = datetime.min.replace(tzinfo=UTC)

    def now(self) -> datetime:
        with self._lock:
            self._last = max(datetime.now(UTC), self._last + timedelta(microseconds=1))
            return self._last

    def today(self) -> date:
        return self.now().date()


@dataclass
class Outcome:
    """What one worker did: every decision it got, and the orders it invoiced and paid."""

    decisions: list[dict[str, Any]] = field(default_factory=list)
    invoiced: list[tuple[str, str]] = field(default_factory=list)
    paid: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: Outcome) -> None:
        self.decisions.extend(other.decisions)
        self.invoiced.extend(other.invoiced)
        self.paid.extend(other.paid)


def set_up_group(rt: Runtime) -> None:
    """FI01 and NO01 with the default credit setup (confirmation checked, group check on,
    credit limit used 100 %), one customer C100 in each without an individual limit, both
    members of a 10,000.00 EUR group."""
    setup.put_legal_entity(rt, SYSTEM, "FI01", "Contoso Suomi Oy", "EUR")
    setup.put_legal_entity(rt, SYSTEM, "NO01", "Contoso Norge AS", "NOK")
    setup.put_exchange_rate(rt, SYSTEM, "NOK", "EUR", NOK_TO_EUR, date(2026, 1, 1))
    for le in ORDERS:
        customers.put_customer(
            rt,
            SYSTEM,
            le,
            "C100",
            name=f"Nordwind {le}",
            currency_code=None,
            payment_terms="Net30",
            settlement_discount=None,
            credit={},
        )
    groups.put_group(rt, SYSTEM, GROUP, "Nordwind group", money(f"{LIMIT} EUR"), date(2027, 12, 31))
    for le in ORDERS:
        groups.add_member(rt, SYSTEM, GROUP, le, "C100")


class Starter(Protocol):
    """A barrier (of threads or of processes) that lets every worker start at once."""

    def wait(self, timeout: float | None = None) -> int: ...


Finished = tuple[int, Outcome | None, str | None]  # worker, what it did, or its traceback


def race(rt: Runtime, worker: int, rounds: int, start: Starter) -> Outcome:
    """One worker's loop: order, check, then cancel (on hold) or invoice and maybe pay."""
    outcome = Outcome()
    start.wait(timeout=60)
    for n in range(rounds):
        le = ("FI01", "NO01")[(worker + n) % 2]
        amount = money(ORDERS[le])
        order_id = f"SO-{worker}-{n}"
        documents.put_sales_order(rt, SYSTEM, le, SalesOrderInput(order_id, "C100", amount))
        decision = checks.run_credit_check(
            rt,
            SYSTEM,
            checks.CheckRequest(le, order_id, Checkpoint.CONFIRMATION, True, AS_OF),
        )
        outcome.decisions.append(decision)
        if decision["decision"] != "passed":
            documents.put_sales_order(
                rt, SYSTEM, le, SalesOrderInput(order_id, "C100", amount, status="cancelled")
            )
            continue
        invoice_id = f"INV-{worker}-{n}"
        documents.post_invoice(
            rt,
            SYSTEM,
            le,
            InvoiceInput(invoice_id, "C100", amount, AS_OF, AS_OF + timedelta(days=30), order_id),
        )
        outcome.invoiced.append((le, order_id))
        if n % 2 == 0:
            documents.post_payment(
                rt,
                SYSTEM,
                le,
                PaymentInput(f"PAY-{worker}-{n}", "C100", amount, AS_OF, ((invoice_id, amount),)),
            )
            outcome.paid.append((le, order_id))
    return outcome


def race_in_process(
    url: str, worker: int, rounds: int, start: Starter, results: Queue[Finished]
) -> None:
    """A worker in a server process of its own: its own engine on the same database."""
    try:
        rt = build_runtime(Settings(database_url=url))
        try:
            results.put((worker, race(rt, worker, rounds, start), None))
        finally:
            dispose(rt)
    except BaseException:
        results.put((worker, None, traceback.format_exc()))


# --- what must hold afterwards --------------------------------------------------------------


def amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


def assert_every_check_was_decided_within_the_limit(outcome: Outcome) -> tuple[int, int]:
    passed = held = 0
    for decision in outcome.decisions:
        assert decision["decision"] in ("passed", "on_hold"), decision["explanation"]
        group_line = decision["limits"][0]
        assert group_line["scope"] == "group"
        assert amount(group_line["limit"]) == LIMIT
        assert amount(group_line["order"]) == ORDER_IN_EUR
        after = amount(group_line["exposure_before"]) + amount(group_line["order"])
        if decision["decision"] == "passed":
            passed += 1
            assert after <= LIMIT, decision["explanation"]
            assert decision["hold"] is None
        else:
            held += 1
            assert after > LIMIT, decision["explanation"]
            assert [(r["code"], r["scope"]) for r in decision["reasons"]] == [
                ("credit_limit_exceeded", "group")
            ]
            assert decision["hold"] is not None
    return passed, held


def nonzero(buckets: list[ExposureBucket]) -> list[tuple[str, int, int, int]]:
    return sorted(
        (b.currency.code, b.balance, b.packing_slips, b.open_orders)
        for b in buckets
        if b.balance or b.packing_slips or b.open_orders
    )


def assert_exposure_matches_the_documents(rt: Runtime, outcome: Outcome) -> None:
    """Running totals of each customer and of the group equal the sums over the documents,
    and the group's exposure is exactly what passed and is still unpaid."""
    with rt.uow(read_only=True) as uow:
        assert isinstance(uow, SqlAlchemyUnitOfWork)
        docs = SqlDocumentRepository(uow.connection)
        for le in ORDERS:
            stored = uow.customers.get(le, "C100")
            assert stored is not None
            running = nonzero(uow.customers.exposure(stored.id))
            assert running == nonzero(docs.recompute_exposure(stored.id)), le
            in_group = [b for member_le, b in uow.groups.exposure(GROUP) if member_le == le]
            assert nonzero(in_group) == running, le
        open_holds = uow.connection.execute(
            select(func.count()).where(t.credit_holds.c.status == "on_hold")
        ).scalar_one()
        assert open_holds == 0  # every held order was cancelled, which closed its hold
    unpaid = ORDER_IN_EUR * (len(outcome.invoiced) - len(outcome.paid))
    for le in ORDERS:
        summary = queries.credit_summary(rt, SYSTEM, le, "C100", AS_OF)
        assert summary["group"] is not None
        assert amount(summary["group"]["exposure"]) == unpaid
    assert unpaid <= LIMIT


def utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def assert_each_check_saw_every_change_before_it(rt: Runtime) -> None:
    """Replay the group's history in the order the transactions ran: every check's group
    exposure must be exactly what the orders, cancellations and payments committed before it
    add up to (without the checked order itself) — no stale read, no lost update."""
    o, p, c = t.sales_orders, t.payments, t.credit_checks
    changes: list[tuple[datetime, Decimal]] = []
    with rt.uow(read_only=True) as uow:
        assert isinstance(uow, SqlAlchemyUnitOfWork)
        conn = uow.connection
        for created, updated, status in conn.execute(
            select(o.c.created_at, o.c.updated_at, o.c.status)
        ):
            changes.append((utc(created), ORDER_IN_EUR))
            if status == "cancelled":
                changes.append((utc(updated), -ORDER_IN_EUR))
        for (created,) in conn.execute(select(p.c.created_at)):
            changes.append((utc(created), -ORDER_IN_EUR))
        checked = conn.execute(select(c.c.checked_at, c.c.body)).all()
    assert checked
    for checked_at, body in checked:
        at = utc(checked_at)
        seen = sum((change for when, change in changes if when < at), Decimal(0))
        assert amount(body["limits"][0]["exposure_before"]) == seen - ORDER_IN_EUR, body["id"]


def stored_decisions(rt: Runtime) -> int:
    with rt.uow(read_only=True) as uow:
        assert isinstance(uow, SqlAlchemyUnitOfWork)
        return int(
            uow.connection.execute(select(func.count()).select_from(t.credit_checks)).scalar_one()
        )


def report(
    request: pytest.FixtureRequest, how: str, outcome: Outcome, figures: tuple[int, int]
) -> None:
    passed, held = figures
    request.node.user_properties.append(
        ("race", f"{how}: {len(outcome.decisions)} checks, {passed} passed, {held} on hold")
    )


# --- the races --------------------------------------------------------------------------------


@pytest.fixture
def group_runtime(runtime: Runtime) -> Runtime:
    set_up_group(runtime)
    return runtime


def test_concurrent_checks_from_threads_never_let_the_group_exceed_its_limit(
    group_runtime: Runtime, request: pytest.FixtureRequest
) -> None:
    rt = replace(group_runtime, clock=SerialClock())
    start = threading.Barrier(THREADS)
    outcome = Outcome()
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(race, rt, worker, ROUNDS, start) for worker in range(THREADS)]
        for future in futures:
            outcome.merge(future.result())

    figures = assert_every_check_was_decided_within_the_limit(outcome)
    assert len(outcome.decisions) == THREADS * ROUNDS == stored_decisions(rt)
    passed, held = figures
    assert passed > LIMIT / ORDER_IN_EUR  # the room freed by payments was used again
    assert held > 0  # and the limit was reached
    assert_exposure_matches_the_documents(rt, outcome)
    assert_each_check_saw_every_change_before_it(rt)
    report(request, f"{THREADS} threads", outcome, figures)


PROCESSES = 4


def test_concurrent_checks_from_server_processes_never_let_the_group_exceed_its_limit(
    group_runtime: Runtime,
    database_url: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rt = group_runtime
    # pytest imports this module without sys.path; a spawned process imports it by name
    monkeypatch.syspath_prepend(str(request.config.rootpath))
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(PROCESSES)
    results: Queue[Finished] = spawn.Queue()
    workers = [
        spawn.Process(target=race_in_process, args=(database_url, worker, ROUNDS, start, results))
        for worker in range(PROCESSES)
    ]
    for process in workers:
        process.start()
    try:
        finished = [results.get(timeout=120) for _ in workers]
    finally:
        for process in workers:
            process.join(timeout=30)
    results.close()
    results.join_thread()

    assert [error for _, _, error in finished if error is not None] == []
    outcome = Outcome()
    for _, done, _ in sorted(finished, key=lambda item: item[0]):
        assert done is not None
        outcome.merge(done)
    figures = assert_every_check_was_decided_within_the_limit(outcome)
    assert len(outcome.decisions) == PROCESSES * ROUNDS == stored_decisions(rt)
    assert figures[1] > 0
    assert_exposure_matches_the_documents(rt, outcome)
    assert_each_check_saw_every_change_before_it(rt)
    report(request, f"{PROCESSES} processes", outcome, figures)


def test_one_order_checked_from_many_threads_at_once_is_put_on_hold_once(
    group_runtime: Runtime,
) -> None:
    runtime = group_runtime
    documents.put_sales_order(
        runtime, SYSTEM, "FI01", SalesOrderInput("SO-BIG", "C100", money("10000.01 EUR"))
    )
    start = threading.Barrier(THREADS)

    def check() -> dict[str, Any]:
        start.wait()
        return checks.run_credit_check(
            runtime,
            SYSTEM,
            checks.CheckRequest("FI01", "SO-BIG", Checkpoint.CONFIRMATION, True, AS_OF),
        )

    with ThreadPoolExecutor(THREADS) as pool:
        decisions = [f.result() for f in [pool.submit(check) for _ in range(THREADS)]]

    assert {d["decision"] for d in decisions} == {"on_hold"}
    hold_ids = {d["hold"]["id"] for d in decisions}
    assert len(hold_ids) == 1
    with runtime.uow(read_only=True) as uow:
        assert isinstance(uow, SqlAlchemyUnitOfWork)
        holds = (
            uow.connection.execute(
                select(t.credit_holds.c.id).where(t.credit_holds.c.sales_order == "SO-BIG")
            )
            .scalars()
            .all()
        )
    assert holds == list(hold_ids)
    found_on_hold = [d for d in decisions if "already on hold" in d["explanation"]]
    assert len(found_on_hold) == THREADS - 1
