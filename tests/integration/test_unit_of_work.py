"""The SQLAlchemy unit of work on real databases: one transaction that stores nothing unless
committed, and lost races (duplicate inserts) turned into ``RetryableError`` so that the use
case runs again and gives its idempotent answer."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from creditdesk.adapters import tables as t
from creditdesk.adapters.db import is_sqlite, make_engine
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWorkFactory
from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.domain.money import currency
from creditdesk.domain.setup import CreditParameters
from creditdesk.service_layer import customers, documents, queries, setup
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.documents import InvoiceInput
from creditdesk.service_layer.errors import RetryableError
from creditdesk.service_layer.ports import LegalEntity, UnitOfWork, UnitOfWorkFactory
from creditdesk.service_layer.runtime import Runtime
from tests.support import money

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


class BoomError(Exception):
    pass


def entity(le: str = "FI01") -> LegalEntity:
    return LegalEntity(le, f"{le} Oy", currency("EUR"), CreditParameters())


def stored_entities(rt: Runtime) -> list[str]:
    with rt.uow(read_only=True) as uow:
        return uow.legal_entities.all_ids()


# --- commit and rollback ----------------------------------------------------------------------


def test_a_committed_unit_of_work_is_stored(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        uow.legal_entities.add(entity(), NOW)
        uow.commit()

    assert stored_entities(runtime) == ["FI01"]


def test_nothing_is_stored_when_the_unit_of_work_ends_without_commit(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        uow.legal_entities.add(entity(), NOW)
        assert uow.legal_entities.get("FI01") is not None  # visible inside, until the end

    assert stored_entities(runtime) == []


def test_an_exception_rolls_the_unit_of_work_back_and_goes_on_unchanged(
    runtime: Runtime,
) -> None:
    def add_then_fail() -> None:
        with runtime.uow() as uow:
            uow.legal_entities.add(entity(), NOW)
            raise BoomError

    with pytest.raises(BoomError):
        add_then_fail()

    assert stored_entities(runtime) == []


def test_an_explicit_rollback_undoes_what_was_not_committed(runtime: Runtime) -> None:
    with runtime.uow() as uow:
        uow.legal_entities.add(entity("FI01"), NOW)
        uow.commit()
    with runtime.uow() as uow:
        uow.legal_entities.add(entity("NO01"), NOW)
        uow.rollback()

    assert stored_entities(runtime) == ["FI01"]


def test_a_duplicate_insert_becomes_a_retryable_error_and_stores_nothing(
    runtime: Runtime,
) -> None:
    with runtime.uow() as uow:
        uow.legal_entities.add(entity("FI01"), NOW)
        uow.commit()

    def add_twice() -> None:
        with runtime.uow() as uow:
            uow.legal_entities.add(entity("NO01"), NOW)
            uow.legal_entities.add(entity("FI01"), NOW)
            uow.commit()

    with pytest.raises(RetryableError) as raised:
        add_twice()

    assert isinstance(raised.value.__cause__, IntegrityError)
    assert raised.value.code == "concurrent_update"
    assert stored_entities(runtime) == ["FI01"]


def test_a_foreign_key_violation_is_a_bug_not_a_lost_race_and_is_not_retried(
    runtime: Runtime,
) -> None:
    def add_reason_of_unknown_entity() -> None:
        with runtime.uow() as uow:
            uow.setup.put_reason("XX01", "R1", "hold", "no such legal entity")
            uow.commit()

    with pytest.raises(IntegrityError):
        add_reason_of_unknown_entity()


# --- a lost race retried gives the idempotent answer --------------------------------------------


@dataclass
class CountingFactory:
    """The real unit of work factory, counting how many transactions the use cases open."""

    inner: UnitOfWorkFactory
    opened: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        with self._lock:
            self.opened += 1
        return self.inner(read_only=read_only)


@dataclass
class Racing:
    rt: Runtime
    uows: CountingFactory
    url: str
    application_name: str | None


@pytest.fixture
def racing(database_url: str) -> Iterator[Racing]:
    """A runtime of its own whose PostgreSQL sessions carry a name we can look for."""
    name: str | None = None
    url = database_url
    if not is_sqlite(url):
        name = f"creditdesk-race-{uuid.uuid4().hex[:8]}"
        url = f"{url}{'&' if '?' in url else '?'}application_name={name}"
    rt = build_runtime(Settings(database_url=url))
    uows = CountingFactory(rt.uow)
    try:
        yield Racing(Runtime(uow=uows), uows, url, name)
    finally:
        dispose(rt)


def wait_until_blocked(racing: Racing, sessions: int, admin: Engine) -> None:
    """Until ``sessions`` of the runtime's PostgreSQL sessions wait for a row lock (on SQLite
    the writers wait in BEGIN IMMEDIATE, which cannot be watched: give them a moment)."""
    if racing.application_name is None:
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 10
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE application_name = :name AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline:
        with admin.connect() as conn:
            if conn.execute(query, {"name": racing.application_name}).scalar_one() >= sessions:
                return
        time.sleep(0.01)
    raise AssertionError(f"{sessions} sessions never waited for the customer row")


def test_two_concurrent_posts_of_one_invoice_both_succeed_and_count_it_once(
    racing: Racing,
) -> None:
    rt = racing.rt
    setup.put_legal_entity(rt, SYSTEM, "FI01", "Contoso Suomi Oy", "EUR")
    customers.put_customer(
        rt,
        SYSTEM,
        "FI01",
        "C100",
        name="Nordwind Oy",
        currency_code=None,
        payment_terms=None,
        settlement_discount=None,
        credit={},
    )
    invoice = InvoiceInput(
        "INV-1", "C100", money("1200.00 EUR"), date(2026, 11, 1), date(2026, 12, 1)
    )
    admin = create_engine(racing.url)
    before = racing.uows.opened
    try:
        # Hold the customer row (on SQLite: the write lock) so both posts first find no
        # invoice, then queue for the customer; the second to get it inserts a duplicate.
        with rt.uow() as blocker:
            assert blocker.customers.get("FI01", "C100", lock=True) is not None
            with ThreadPoolExecutor(2) as pool:
                posts = [
                    pool.submit(documents.post_invoice, rt, SYSTEM, "FI01", invoice)
                    for _ in range(2)
                ]
                wait_until_blocked(racing, 2, admin)
                blocker.rollback()
                results = [post.result(timeout=30) for post in posts]
    finally:
        admin.dispose()

    assert sorted(created for _, created in results) == [False, True]  # one 201, one 200
    assert results[0][0] == results[1][0]
    assert results[0][0]["amount"] == {"amount": "1200.00", "currency": "EUR"}
    if racing.application_name is not None:
        # PostgreSQL: the loser's insert failed as a duplicate and its use case ran again
        # (transactions: the blocker, the two posts and the one retry)
        assert racing.uows.opened - before == 1 + 2 + 1
    summary = queries.credit_summary(rt, SYSTEM, "FI01", "C100", date(2026, 11, 23))
    assert summary["exposure"]["balance"] == {"amount": "1200.00", "currency": "EUR"}


# --- the SQLite engine ----------------------------------------------------------------------------


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def pragma(engine: Engine, name: str) -> Any:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_the_sqlite_engine_uses_wal_with_foreign_keys_and_a_busy_timeout(
    sqlite_engine: Engine,
) -> None:
    assert pragma(sqlite_engine, "journal_mode") == "wal"
    assert pragma(sqlite_engine, "foreign_keys") == 1
    assert pragma(sqlite_engine, "busy_timeout") == 60000


def test_the_sqlite_engine_enforces_foreign_keys(sqlite_engine: Engine) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), sqlite_engine.begin() as conn:
        conn.execute(
            insert(t.reasons).values(legal_entity="XX01", id="R1", type="hold", description="x")
        )


def try_to_write(database: str) -> bool:
    """Whether another connection could start writing at once (no waiting)."""
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    finally:
        other.close()


def test_a_sqlite_unit_of_work_takes_the_write_lock_when_it_begins(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    database = make_url(sqlite_url).database
    assert database is not None
    uows = SqlAlchemyUnitOfWorkFactory(sqlite_engine)

    with uows():
        assert not try_to_write(database)  # writers are serialised from BEGIN on
    with uows(read_only=True) as uow:
        assert uow.legal_entities.all_ids() == []
        assert try_to_write(database)  # a reader does not hold writers up
    assert try_to_write(database)
