"""Tables of the approval workflows (on the metadata of ``tables``)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, String, Table, Text

from creditdesk.adapters.tables import UTC_TS, metadata

workflow_definitions = Table(
    "workflow_definitions",
    metadata,
    Column("legal_entity", String(20), primary_key=True),
    Column("kind", String(40), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("steps", JSON, nullable=False),
    Column("completion", String(40)),
    Column("criteria", JSON, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
)

workflow_items = Table(
    "workflow_items",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("legal_entity", String(20), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("details", JSON, nullable=False),
    Column("submitted_by", String(120), nullable=False),
    Column("submitted_at", UTC_TS, nullable=False),
    Column("steps", JSON, nullable=False),
    Column("completion", String(40)),
    Column("amount_minor", BigInteger),
    Column("amount_currency", String(3)),
    Column("status", String(20), nullable=False),
    Column("approvals", JSON, nullable=False),
    Column("comment", Text),
    Column("error", Text),
    Column("decided_by", String(120)),
    Column("decided_at", UTC_TS),
    Index("ix_workflow_items_status", "status", "legal_entity", "id"),
    Index("ix_workflow_items_subject", "kind", "subject"),
)
