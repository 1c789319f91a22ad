"""The composition root: the only module that knows every concrete class."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from creditdesk.adapters.aging_queries import SqlAgingQueries
from creditdesk.adapters.bulk_queries import SqlBulkDocuments
from creditdesk.adapters.db import WalCheckpointer, make_engine
from creditdesk.adapters.passwords import Argon2Passwords
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWorkFactory
from creditdesk.adapters.webhook_sender import HttpxWebhookSender, resolve_host
from creditdesk.config import Settings
from creditdesk.domain.workflows import WorkflowKind
from creditdesk.service_layer import holds, journals
from creditdesk.service_layer.events import DeliveryReport, deliver_due
from creditdesk.service_layer.runtime import CompletionTask, Runtime
from creditdesk.service_layer.tokens import ADMIN_TOKEN_NAME, ensure_token

logger = logging.getLogger("creditdesk")
MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Migrate the database to the latest schema (the same migrations on SQLite and PG)."""
    command.upgrade(alembic_config(url), "head")


def approval_completions() -> dict[str, CompletionTask]:
    """What each kind of approved workflow item does when it completes."""
    return {
        WorkflowKind.CREDIT_HOLD_RELEASE.value: holds.complete_release_item,
        WorkflowKind.CREDIT_LIMIT_JOURNAL.value: journals.complete_journal_item,
        WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE.value: journals.complete_journal_item,
    }


def build_runtime(settings: Settings, *, engine: Engine | None = None) -> Runtime:
    engine = engine or make_engine(settings.database_url)
    runtime = Runtime(
        uow=SqlAlchemyUnitOfWorkFactory(engine),
        bulk_documents=SqlBulkDocuments.of,
        aging_queries=SqlAgingQueries.of,
        completions=approval_completions(),
        resolve_host=resolve_host,
        webhook_allow_private=settings.webhook_allow_private,
        passwords=Argon2Passwords(),
    )
    if settings.admin_token:
        ensure_token(runtime, ADMIN_TOKEN_NAME, "admin", settings.admin_token)
    return runtime


def dispose(runtime: Runtime) -> None:
    factory = runtime.uow
    if isinstance(factory, SqlAlchemyUnitOfWorkFactory):
        factory.engine.dispose()


class WebhookDispatcher:
    """Delivers due webhook events every few seconds in a background thread."""

    def __init__(self, runtime: Runtime, interval_seconds: float) -> None:
        self._runtime = runtime
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._sender = HttpxWebhookSender()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def start(self) -> WebhookDispatcher:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                deliver_due(self._runtime, self._sender)
            except Exception:  # keep delivering; the next round retries
                logger.exception("webhook delivery round failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sender.close()


def start_wal_checkpointer(settings: Settings) -> WalCheckpointer | None:
    """Background WAL checkpoints for a serving process on a SQLite file (see
    ``WalCheckpointer``); None on PostgreSQL or an in-memory database, or when switched off."""
    url = settings.database_url
    if not settings.background_checkpoints or not WalCheckpointer.applies_to(url):
        return None
    return WalCheckpointer(url, interval_seconds=settings.checkpoint_interval_seconds).start()


def start_webhook_dispatcher(runtime: Runtime, settings: Settings) -> WebhookDispatcher:
    return WebhookDispatcher(runtime, settings.webhook_interval_seconds).start()


def deliver_webhooks_once(runtime: Runtime) -> DeliveryReport:
    sender = HttpxWebhookSender()
    try:
        return deliver_due(runtime, sender)
    finally:
        sender.close()
