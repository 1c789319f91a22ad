"""Fixtures: a migrated database per test on SQLite, and on PostgreSQL when
``CREDITDESK_TEST_POSTGRES_URL`` is set (each test gets its own database, cloned from one
migrated per session)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, make_url, text

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.service_layer.runtime import Runtime
from tests.support import ADMIN_TOKEN, Api, ReasonHold, hold_of_every_reason

POSTGRES_URL = os.environ.get("CREDITDESK_TEST_POSTGRES_URL")
NO_POSTGRES = "PostgreSQL tests need CREDITDESK_TEST_POSTGRES_URL (CI sets it)"

hypothesis_settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
hypothesis_settings.register_profile("dev", max_examples=30, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test session; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "creditdesk.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """One migrated PostgreSQL database per session, cloned per test with
    ``CREATE DATABASE … TEMPLATE`` (much faster than migrating every test's database)."""
    assert POSTGRES_URL is not None
    name = f"cdtpl_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade_database(str(make_url(POSTGRES_URL).set(database=name)))
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_database(template: str) -> Iterator[str]:
    assert POSTGRES_URL is not None
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(POSTGRES_URL is None, reason=NO_POSTGRES),
            ],
        ),
    ]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A freshly migrated database of its own: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "creditdesk.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        template = request.getfixturevalue("postgres_template")
        yield from _postgres_database(template)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "creditdesk.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, admin_token=ADMIN_TOKEN, deliver_webhooks=False, scheduler=False
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    dispose(rt)


@pytest.fixture
def api(settings: Settings, runtime: Runtime) -> Iterator[Api]:
    with TestClient(create_app(settings, runtime)) as client:
        yield Api(client)


@pytest.fixture
def every_reason(api: Api) -> list[ReasonHold]:
    """Legal entity RC01 with one open hold of each of the eleven reason codes (the limit
    reasons once per scope): see ``tests.support.hold_of_every_reason``."""
    return hold_of_every_reason(api)
