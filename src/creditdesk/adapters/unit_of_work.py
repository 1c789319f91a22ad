"""The SQLAlchemy unit of work: one connection, one transaction, every repository on it.

It rolls back unless committed, and turns lost races (deadlocks, lock timeouts, duplicate
inserts, serialisation failures) into ``RetryableError`` so the use case can run again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from creditdesk.adapters import repositories as repos
from creditdesk.adapters.event_store import SqlEventRepository, SqlWebhookRepository
from creditdesk.adapters.group_list_queries import SqlGroupListQueries
from creditdesk.adapters.lifecycle_repositories import (
    SqlJournalRepository,
    SqlLimitSourceRepository,
    SqlScoringRepository,
    SqlStatisticsRepository,
)
from creditdesk.adapters.maintenance_queries import SqlMaintenanceQueries
from creditdesk.adapters.ops_repositories import (
    SqlLeaseRepository,
    SqlOperationsQueries,
    SqlScheduleRepository,
)
from creditdesk.adapters.user_repository import SqlUserRepository
from creditdesk.adapters.workflow_repository import SqlWorkflowRepository
from creditdesk.adapters.worklist_queries import (
    SqlCreditManagementGroupRepository,
    SqlSetupRemovals,
    SqlWorklistQueries,
)
from creditdesk.service_layer import ports
from creditdesk.service_layer.errors import RetryableError

_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}
_UNIQUE_VIOLATION = "23505"


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, IntegrityError):
        # a duplicate insert lost a race; a foreign key or NOT NULL violation is a bug
        sqlstate = getattr(error.orig, "sqlstate", None)
        return sqlstate == _UNIQUE_VIOLATION or "UNIQUE constraint failed" in str(error.orig)
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate in _RETRY_SQLSTATES:
            return True
        if isinstance(error, OperationalError) and "locked" in str(error.orig).lower():
            return True
    return False


# Built on first use in a unit of work: a credit check uses a third of them.
_REPOSITORIES: dict[str, Callable[[Connection], Any]] = {
    "legal_entities": repos.SqlLegalEntityRepository,
    "rates": repos.SqlRateRepository,
    "customers": repos.SqlCustomerRepository,
    "groups": repos.SqlCreditGroupRepository,
    "documents": repos.SqlDocumentRepository,
    "orders": repos.SqlSalesOrderRepository,
    "decisions": repos.SqlDecisionRepository,
    "holds": repos.SqlHoldRepository,
    "setup": repos.SqlSetupRepository,
    "tokens": repos.SqlTokenRepository,
    "audit": repos.SqlAuditRepository,
    "events": SqlEventRepository,
    "webhooks": SqlWebhookRepository,
    "users": SqlUserRepository,
    "maintenance": SqlMaintenanceQueries,
    "worklist": SqlWorklistQueries,
    "cm_groups": SqlCreditManagementGroupRepository,
    "journals": SqlJournalRepository,
    "limit_sources": SqlLimitSourceRepository,
    "scoring": SqlScoringRepository,
    "statistics": SqlStatisticsRepository,
    "setup_removals": SqlSetupRemovals,
    "workflows": SqlWorkflowRepository,
    "group_list": SqlGroupListQueries,
    "schedules": SqlScheduleRepository,
    "leases": SqlLeaseRepository,
    "operations": SqlOperationsQueries,
}


class SqlAlchemyUnitOfWork:
    legal_entities: ports.LegalEntityRepository
    rates: ports.RateRepository
    customers: ports.CustomerRepository
    groups: ports.CreditGroupRepository
    documents: ports.DocumentRepository
    orders: ports.SalesOrderRepository
    decisions: ports.DecisionRepository
    holds: ports.HoldRepository
    setup: ports.SetupRepository
    tokens: ports.TokenRepository
    audit: ports.AuditRepository
    events: ports.EventRepository
    webhooks: ports.WebhookRepository
    maintenance: ports.MaintenanceQueries
    worklist: ports.WorklistQueries
    cm_groups: ports.CreditManagementGroupRepository
    journals: ports.JournalRepository
    limit_sources: ports.LimitSourceRepository
    scoring: ports.ScoringRepository
    statistics: ports.StatisticsRepository
    setup_removals: ports.SetupRemovals
    workflows: ports.WorkflowRepository
    users: ports.UserRepository
    group_list: ports.GroupListQueries
    schedules: ports.ScheduleRepository
    leases: ports.LeaseRepository
    operations: ports.OperationsQueries

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._conn: Connection | None = None

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        conn = self._engine.connect()
        if self._read_only and self._engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="DEFERRED")
        try:
            conn.begin()
        except DBAPIError as error:
            conn.close()
            if _is_retryable(error):
                raise RetryableError("the database is busy") from error
            raise
        self._conn = conn
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        conn = self._conn
        self._conn = None
        for name in _REPOSITORIES.keys() & self.__dict__.keys():
            del self.__dict__[name]  # bound to the closed connection
        if conn is None:
            return
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
        if exc is not None and _is_retryable(exc):
            raise RetryableError("the transaction lost a race; run it again") from exc

    def __getattr__(self, name: str) -> Any:
        make = _REPOSITORIES.get(name)
        conn = self.__dict__.get("_conn")
        if make is None or conn is None:
            raise AttributeError(name)
        repository = make(conn)
        setattr(self, name, repository)
        return repository

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()


class SqlAlchemyUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, read_only: bool = False) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine, read_only=read_only)
