"""Engines: SQLite (embedded default, WAL, foreign keys, writers serialised with
``BEGIN IMMEDIATE``) and PostgreSQL (row locks with ``SELECT … FOR UPDATE``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url

_HOLDS_WRITER = "creditdesk_holds_writer_lock"
_WRITER_WAIT_SECONDS = 60.0


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
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=pool_size,
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
            # page cache of 64 MiB per connection, reads through a 256 MiB memory map, temp
            # b-trees (sorts, GROUP BY) in memory: the hot indexes stay resident
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute("PRAGMA mmap_size=268435456")
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
            try:
                connection.exec_driver_sql(f"BEGIN {mode}")
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
