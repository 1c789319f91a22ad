"""The composition root: the only module that knows every concrete class."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, pool, text
from sqlalchemy.engine import make_url

from creditdesk.adapters.aging_queries import SqlAgingQueries
from creditdesk.adapters.bulk_queries import SqlBulkDocuments
from creditdesk.adapters.db import WalCheckpointer, is_sqlite, make_engine
from creditdesk.adapters.passwords import Argon2Passwords
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWorkFactory
from creditdesk.adapters.webhook_sender import HttpxWebhookSender, resolve_host
from creditdesk.config import Settings
from creditdesk.domain.workflows import WorkflowKind
from creditdesk.service_layer import holds, journals
from creditdesk.service_layer.events import DeliveryReport, deliver_due
from creditdesk.service_layer.ports import run_with_retries
from creditdesk.service_layer.runtime import CompletionTask, Runtime
from creditdesk.service_layer.scheduling import run_due
from creditdesk.service_layer.tokens import ADMIN_TOKEN_NAME, ensure_token

logger = logging.getLogger("creditdesk")
MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


_MIGRATION_LOCK_KEY = 0x63726564_6465736B  # "creddesk": the advisory lock of migrations


@contextlib.contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Let one process at a time migrate: processes that start together wait here, and the
    ones after the first find the schema at head and do nothing. PostgreSQL: a session-level
    advisory lock; a SQLite file: an exclusive ``flock`` on a file beside it (an in-memory
    database is one process's own)."""
    if not is_sqlite(url):
        engine = create_engine(url, poolclass=pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                    )
                    conn.commit()
        finally:
            engine.dispose()
        return
    database = make_url(url).database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(f"{database}.migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade_database(url: str) -> None:
    """Migrate the database to the latest schema (the same migrations on SQLite and PG),
    once however many processes start together (see ``migration_lock``)."""
    with migration_lock(url):
        command.upgrade(alembic_config(url), "head")


def schema_head() -> str:
    """The revision the code expects (the newest migration)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    database_ok: bool
    revision: str | None
    head: str

    @property
    def ready(self) -> bool:
        return self.database_ok and self.revision == self.head


def schema_status(runtime: Runtime, head: str) -> SchemaStatus:
    """Whether the database answers and which schema revision it is at (for readiness)."""
    factory = runtime.uow
    assert isinstance(factory, SqlAlchemyUnitOfWorkFactory)
    try:
        with factory.engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    except Exception as error:  # any failure to reach the database means "not ready"
        # one line, no traceback: a probe asks every few seconds while the database is down
        logger.warning("readiness: the database does not answer: %s", type(error).__name__)
        return SchemaStatus(False, None, head)
    return SchemaStatus(True, revision, head)


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
        runtime.pending_admin_token = settings.admin_token
        ensure_admin_token(runtime)
    return runtime


def ensure_admin_token(runtime: Runtime, status: SchemaStatus | None = None) -> None:
    """Set up ``CREDITDESK_ADMIN_TOKEN`` once the schema is current. A server started with
    ``--no-migrate`` before the migrations ran (or while the database is down) starts all the
    same and answers ``/api/v1/ready`` 503; the readiness probe that first finds the schema
    current sets the token up."""
    secret = runtime.pending_admin_token
    if secret is None:
        return
    if not (status or schema_status(runtime, schema_head())).ready:
        logger.warning("the admin token waits for the database schema to be current")
        return
    ensure_token(runtime, ADMIN_TOKEN_NAME, "admin", secret)
    runtime.pending_admin_token = None


def dispose(runtime: Runtime) -> None:
    factory = runtime.uow
    if isinstance(factory, SqlAlchemyUnitOfWorkFactory):
        factory.engine.dispose()


def process_name() -> str:
    """Who holds a lease or ran a task: host, process id and a random tail (a pid is reused
    across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


WEBHOOK_LEASE = "webhook_delivery"


class Lease:
    """A named lease in the database: the holder renews it, others take it when it has
    expired. Only the holder does the job, so it is done by one process however many run."""

    def __init__(self, runtime: Runtime, name: str, holder: str, seconds: float) -> None:
        self._runtime = runtime
        self.name = name
        self.holder = holder
        self._seconds = seconds

    def renew(self) -> bool:
        rt = self._runtime

        def work() -> bool:
            now = rt.clock.now()
            with rt.uow() as uow:
                held = uow.leases.acquire(
                    self.name, self.holder, now, now + timedelta(seconds=self._seconds)
                )
                uow.commit()
                return held

        return run_with_retries(work)

    def release(self) -> None:
        with self._runtime.uow() as uow:
            uow.leases.release(self.name, self.holder)
            uow.commit()


class WebhookDispatcher:
    """Delivers due webhook events every few seconds in a background thread, while this
    process holds the webhook lease (so each event goes out once, in order)."""

    def __init__(
        self, runtime: Runtime, interval_seconds: float, *, lease_seconds: float = 30.0
    ) -> None:
        self._runtime = runtime
        self._interval = interval_seconds
        self._lease = Lease(runtime, WEBHOOK_LEASE, process_name(), lease_seconds)
        self._stop = threading.Event()
        self._sender = HttpxWebhookSender()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def start(self) -> WebhookDispatcher:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if self._lease.renew():
                    deliver_due(self._runtime, self._sender)
            except Exception:  # keep delivering; the next round retries
                logger.exception("webhook delivery round failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sender.close()
        with contextlib.suppress(Exception):  # let another process take over at once
            self._lease.release()


class Scheduler:
    """Runs due periodic tasks every ``tick_seconds`` in a background thread; each period
    of each schedule runs once across all processes (``scheduling.run_due``)."""

    def __init__(self, runtime: Runtime, tick_seconds: float, timeout_seconds: float) -> None:
        self._runtime = runtime
        self._tick = tick_seconds
        self._timeout = timeout_seconds
        self.host = process_name()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def run_once(self) -> None:
        report = run_due(self._runtime, self.host, timeout_seconds=self._timeout)
        for run in report.ran:
            logger.info(
                "task %s for %s (%s): %s",
                run["task"],
                run["legal_entity"],
                run["period"],
                run["outcome"],
                extra={"task_run": run["id"], "outcome": run["outcome"]},
            )
        if report.abandoned:
            logger.warning(
                "%d task runs did not finish in time: recorded as failed", report.abandoned
            )

    def _run(self) -> None:
        # the first round waits for the next tick boundary, so that processes started
        # together look at the same period
        self._stop.wait(self._tick - time.time() % self._tick)
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep scheduling; the failed run is recorded
                logger.exception("scheduler round failed")
            self._stop.wait(self._tick - time.time() % self._tick)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def start_scheduler(runtime: Runtime, settings: Settings) -> Scheduler:
    return Scheduler(
        runtime, settings.scheduler_tick_seconds, settings.task_timeout_seconds
    ).start()


def start_wal_checkpointer(settings: Settings) -> WalCheckpointer | None:
    """Background WAL checkpoints for a serving process on a SQLite file (see
    ``WalCheckpointer``); None on PostgreSQL or an in-memory database, or when switched off."""
    url = settings.database_url
    if not settings.background_checkpoints or not WalCheckpointer.applies_to(url):
        return None
    return WalCheckpointer(url, interval_seconds=settings.checkpoint_interval_seconds).start()


def start_webhook_dispatcher(runtime: Runtime, settings: Settings) -> WebhookDispatcher:
    return WebhookDispatcher(
        runtime, settings.webhook_interval_seconds, lease_seconds=settings.webhook_lease_seconds
    ).start()


def deliver_webhooks_once(runtime: Runtime) -> DeliveryReport:
    sender = HttpxWebhookSender()
    try:
        return deliver_due(runtime, sender)
    finally:
        sender.close()
