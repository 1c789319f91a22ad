"""Tables of the web application: users, their sessions and the sign-in throttle (on the
metadata of ``tables``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table

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

web_sessions = Table(
    "web_sessions",
    metadata,
    # the SHA-256 digest of the random session id that the signed cookie carries
    Column("id", String(64), primary_key=True),
    Column("username", String(80), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("last_seen_at", UTC_TS, nullable=False),
    Index("ix_web_sessions_username", "username"),
)

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    # "user:<name>" or "address:<ip>": failed sign-ins counted per user and per client address
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTC_TS, nullable=False),
    Column("blocked_until", UTC_TS),
)

__all__ = ["metadata", "sign_in_failures", "web_sessions", "web_users"]
