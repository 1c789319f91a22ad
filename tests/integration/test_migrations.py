"""The Alembic migrations build exactly the schema of ``adapters/tables.py``, on SQLite and on
PostgreSQL alike (DESIGN "Persistence": the same migrations run on both)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, select

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
