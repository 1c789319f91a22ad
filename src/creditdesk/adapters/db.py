"""Engines: SQLite (embedded default, WAL, foreign keys, writers serialised with
``BEGIN IMMEDIATE``) and PostgreSQL (row locks with ``SELECT … FOR UPDATE``)."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

_HOLDS_WRITER = "creditdesk_holds_writer_lock"
_WRITER_WAIT_SECONDS = 60.0
_SQLITE_POOL = 40
_SQLITE_MMAP_BYTES = 2_147_418_112


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_sqlite_directory(url: str) -> None:
    """Make the directory of a SQLite database file, as SQLite only creates the file."""
    database = make_url(url).database
    if is_sqlite(url) and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    if is_sqlite(url):
        create_sqlite_directory(url)
        # as many pooled connections as a server has request threads (anyio's 40): an
        # overflow connection is closed when given back, and a new one pays its PRAGMAs
        # and starts with a cold page cache (16 requests in flight churned through them)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=max(pool_size, _SQLITE_POOL),
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event issue BEGIN itself (the pysqlite recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            # page cache of 64 MiB per connection, reads through a memory map of up to 2 GiB
            # (SQLite's usual compile-time maximum; address space, not memory), temp b-trees
            # (sorts, GROUP BY) in memory. Pages beyond the map cost a read() and a copy into
            # the page cache: at 5 M documents (1.3 GB) a 256 MiB map made a check 17 % dearer
            # than at 100 k, the whole map 5 %.
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute(f"PRAGMA mmap_size={_SQLITE_MMAP_BYTES}")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        # SQLite lets one writer in at a time. Threads of one process that all wait in
        # SQLite's busy handler poll with sleeps of up to 100 ms (a lock convoy: 16 requests in
        # flight made a server spend a third of its time asleep in BEGIN IMMEDIATE). So the
        # writers of this engine queue on a process lock first, taken before BEGIN IMMEDIATE
        # and given back when the transaction ends; the busy handler is then only for other
        # processes. The wait is bounded like the busy timeout, after which BEGIN goes ahead
        # (and fails as busy, as before, if the database is still locked).
        writer = threading.Lock()

        def _release(info: dict[str, Any]) -> None:
            if info.pop(_HOLDS_WRITER, False):
                writer.release()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            if (
                mode == "IMMEDIATE"
                and not connection.info.get(_HOLDS_WRITER)
                and writer.acquire(timeout=_WRITER_WAIT_SECONDS)
            ):
                connection.info[_HOLDS_WRITER] = True
            # straight on the DB-API connection: SQLAlchemy's execution context around a
            # bare BEGIN cost a third of opening a unit of work
            dbapi_connection = connection.connection.dbapi_connection
            try:
                dbapi_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]
            except sqlite3.Error as error:
                _release(connection.info)
                raise DBAPIError.instance(
                    f"BEGIN {mode}", (), error, sqlite3.Error, dialect=connection.dialect
                ) from error
            except BaseException:
                _release(connection.info)
                raise

        @event.listens_for(engine, "commit")
        def _on_commit(connection: Connection) -> None:
            # fired just before COMMIT: the next writer's BEGIN meets a lock held for
            # microseconds more at most
            _release(connection.info)

        @event.listens_for(engine, "rollback")
        def _on_rollback(connection: Connection) -> None:
            _release(connection.info)

        @event.listens_for(engine, "checkin")
        def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
            _release(record.info)  # a connection returned mid-transaction (never leak it)

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class WalCheckpointer:
    """WAL checkpoints of a SQLite database in a background thread.

    SQLite checkpoints automatically in the COMMIT that takes the WAL past 1,000 pages: that
    commit copies the WAL into the database and syncs it, and its caller waits (a few
    milliseconds every couple of hundred credit checks, the whole of their p99). A serving
    process runs this instead: every ``interval_seconds`` a PASSIVE checkpoint on its own
    connection (it never blocks readers or writers, and SQLite releases the GIL meanwhile),
    so the WAL stays well under the automatic threshold, which remains as the safety net.
    """

    RETRY_SECONDS = 1.0

    def __init__(self, url: str, *, interval_seconds: float = 0.05) -> None:
        if not self.applies_to(url):
            raise ValueError("a WAL checkpointer needs a SQLite database file")
        self._path = str(make_url(url).database)
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
        self.rounds = 0
        self.frames_checkpointed = 0
        self.active = False

    @staticmethod
    def applies_to(url: str) -> bool:
        database = make_url(url).database
        return is_sqlite(url) and bool(database) and database != ":memory:"

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.rounds += 1
        if row is not None and row[2] > 0:
            self.frames_checkpointed += int(row[2])

    def _take_turn(self, handle: IO[str]) -> bool:
        """One checkpointer per database file however many processes serve it: the one that
        holds an exclusive ``flock`` on a file beside the database (the others try again every
        ``RETRY_SECONDS``; the OS drops the lock of a process that ends)."""
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _run(self) -> None:
        with open(f"{self._path}-checkpointer.lock", "a") as handle:
            while not self._take_turn(handle):
                if self._stop.wait(self.RETRY_SECONDS):
                    return
            self.active = True
            connection = sqlite3.connect(self._path, timeout=1, check_same_thread=False)
            try:
                connection.execute("PRAGMA busy_timeout=1000")
                while not self._stop.wait(self._interval):
                    try:
                        self.checkpoint(connection)
                    except sqlite3.Error:  # busy or locked: the next round tries again
                        continue
            finally:
                connection.close()
                self.active = False
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
