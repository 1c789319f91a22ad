"""The audit trail is append-only in the database itself: UPDATE and DELETE are refused by row
triggers (migration 0006), and on PostgreSQL TRUNCATE, which fires no row trigger, by a
statement trigger (0009)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from creditdesk.adapters import tables as t
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import put_legal_entity


def test_truncate_cannot_empty_the_audit_trail_on_postgresql(
    runtime: Runtime, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no TRUNCATE (its DELETE trigger covers a table-wide delete)")
    put_legal_entity(runtime, SYSTEM, "FI01", "Nordic Oy", "EUR")
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("TRUNCATE audit_events"))
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(t.audit_events)).scalar_one()
        assert count >= 1
    finally:
        engine.dispose()
