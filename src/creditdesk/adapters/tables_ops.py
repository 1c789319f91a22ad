"""Tables of the operations runtime: periodic task schedules, their recorded runs and the
leases that let exactly one process do a job however many serve."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from creditdesk.adapters.tables import UTC_TS, metadata

schedules = Table(
    "schedules",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("task", String(40), primary_key=True),
    Column("interval_seconds", Integer),
    Column("cron", String(120)),
    Column("parameters", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
)

task_runs = Table(
    "task_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("task", String(40), nullable=False),
    Column("legal_entity", String(20), nullable=False),
    Column("period", String(40), nullable=False),
    Column("started_at", UTC_TS, nullable=False),
    Column("finished_at", UTC_TS),
    Column("outcome", String(20), nullable=False),
    Column("figures", JSON),
    Column("error", Text),
    Column("host", String(200), nullable=False),
    # the claim of one period: a second process inserting the same key loses and skips it
    UniqueConstraint("task", "legal_entity", "period", name="uq_task_runs_period"),
    Index("ix_task_runs_started", "started_at"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", UTC_TS, nullable=False),
)
