"""The Alembic migrations build exactly the schema of ``adapters/tables.py``, on SQLite and on
PostgreSQL alike (DESIGN "Persistence": the same migrations run on both)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, select
from standardwebhooks import Webhook

from creditdesk.adapters import tables as t
from creditdesk.bootstrap import alembic_config, upgrade_database
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import get_legal_entity, put_legal_entity


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def schema_differences(engine: Engine) -> list[Any]:
    """What autogenerate would write to turn the database into ``tables.metadata``."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, t.metadata))


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def test_upgrade_to_head_on_an_empty_database_builds_exactly_the_declared_schema(
    database_url: str, engine: Engine
) -> None:
    # the fixture ran `alembic upgrade head` on an empty database (schema)
    assert schema_differences(engine) == []
    assert revision(engine) == head(database_url)
    assert set(inspect(engine).get_table_names()) == set(t.metadata.tables) | {"alembic_version"}


def test_downgrading_to_base_drops_every_table_and_upgrading_again_rebuilds_them(
    database_url: str, engine: Engine
) -> None:
    command.downgrade(alembic_config(database_url), "base")

    missing = {diff[1].name for diff in schema_differences(engine) if diff[0] == "add_table"}

    assert missing == set(t.metadata.tables)
    assert revision(engine) is None
    upgrade_database(database_url)
    assert schema_differences(engine) == []


def test_upgrading_a_second_time_changes_nothing_and_keeps_the_data(
    database_url: str, engine: Engine, runtime: Runtime
) -> None:
    put_legal_entity(runtime, SYSTEM, "FI01", "Contoso Suomi Oy", "EUR")

    upgrade_database(database_url)
    upgrade_database(database_url)

    assert schema_differences(engine) == []
    assert revision(engine) == head(database_url)
    assert get_legal_entity(runtime, SYSTEM, "FI01")["name"] == "Contoso Suomi Oy"
    with engine.connect() as conn:
        assert conn.execute(select(t.blocking_rules.c.legal_entity)).scalars().all() == ["FI01"]


def test_upgrading_respells_old_webhook_secrets_for_standard_webhooks_and_categorises_errors(
    database_url: str, engine: Engine
) -> None:
    key = b"\xfb\xff\xbf" * 8  # 24 bytes whose URL-safe base64 is "-_-_…"
    legacy = "whsec_" + base64.urlsafe_b64encode(key).decode()
    assert legacy == "whsec_" + "-_" * 16
    command.downgrade(alembic_config(database_url), "0009-1")
    with engine.begin() as conn:
        for hook_id, secret, error in (
            ("whk_a", legacy, "ConnectError: [Errno 111] Connection refused"),
            ("whk_b", "whsec_" + "Q" * 32, "HTTP 503"),
            ("whk_c", "not-base64!", None),
        ):
            conn.execute(
                t.webhooks.insert().values(
                    id=hook_id,
                    url="https://erp.example.test/hook",
                    secret=secret,
                    active=True,
                    cursor=0,
                    failures=1,
                    last_error=error,
                    created_at=datetime(2026, 11, 1, tzinfo=UTC),
                )
            )

    upgrade_database(database_url)

    with engine.connect() as conn:
        rows = conn.execute(
            select(t.webhooks.c.secret, t.webhooks.c.last_error).order_by(t.webhooks.c.id)
        ).all()
    assert [r.last_error for r in rows] == ["connection_refused", "http_status_5xx", None]
    secrets = [r.secret for r in rows]
    assert secrets[0] == "whsec_" + base64.b64encode(key).decode()  # the same key
    assert secrets[1] == "whsec_" + "Q" * 32  # already standard: unchanged
    assert secrets[2] == "whsec_" + base64.b64encode(b"not-base64!").decode()  # its old key
    at = datetime(2026, 12, 1, tzinfo=UTC)
    expected = (
        "v1,"
        + base64.b64encode(hmac.new(key, b"evt_1.1796083200.{}", hashlib.sha256).digest()).decode()
    )
    assert Webhook(secrets[0]).sign("evt_1", at, "{}") == expected
