"""Tables of the web application: users and their settings (on the metadata of ``tables``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, String, Table

from creditdesk.adapters.tables import UTC_TS, metadata

web_users = Table(
    "web_users",
    metadata,
    Column("username", String(80), primary_key=True),
    Column("display_name", String(120), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(30), nullable=False),
    Column("legal_entities", JSON),
    Column("language", String(10)),
    Column("created_at", UTC_TS, nullable=False),
    Column("disabled_at", UTC_TS),
)

__all__ = ["metadata", "web_users"]
