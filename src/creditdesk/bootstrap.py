"""The composition root: the only module that knows every concrete class."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from creditdesk.adapters.db import make_engine
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWorkFactory
from creditdesk.config import Settings
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.tokens import ensure_token

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Migrate the database to the latest schema (the same migrations on SQLite and PG)."""
    command.upgrade(alembic_config(url), "head")


def build_runtime(settings: Settings, *, engine: Engine | None = None) -> Runtime:
    engine = engine or make_engine(settings.database_url)
    runtime = Runtime(uow=SqlAlchemyUnitOfWorkFactory(engine))
    if settings.admin_token:
        ensure_token(runtime, "admin (CREDITDESK_ADMIN_TOKEN)", "admin", settings.admin_token)
    return runtime


def dispose(runtime: Runtime) -> None:
    factory = runtime.uow
    if isinstance(factory, SqlAlchemyUnitOfWorkFactory):
        factory.engine.dispose()
