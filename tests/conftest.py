"""Fixtures: a migrated database per test on SQLite, and on PostgreSQL when
``CREDITDESK_TEST_POSTGRES_URL`` is set (each test gets its own schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.service_layer.runtime import Runtime
from tests.support import ADMIN_TOKEN, Api

POSTGRES_URL = os.environ.get("CREDITDESK_TEST_POSTGRES_URL")
NO_POSTGRES = "PostgreSQL tests need CREDITDESK_TEST_POSTGRES_URL (CI sets it)"

hypothesis_settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
hypothesis_settings.register_profile("dev", max_examples=30, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _postgres_schema_url() -> Iterator[str]:
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
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
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'creditdesk.db'}"
        upgrade_database(url)
        yield url
    else:
        for url in _postgres_schema_url():
            upgrade_database(url)
            yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'creditdesk.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, admin_token=ADMIN_TOKEN, deliver_webhooks=False)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    dispose(rt)


@pytest.fixture
def api(settings: Settings, runtime: Runtime) -> Iterator[Api]:
    with TestClient(create_app(settings, runtime)) as client:
        yield Api(client)
