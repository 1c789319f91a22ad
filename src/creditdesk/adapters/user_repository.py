"""The SQLAlchemy repository of web application users."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from creditdesk.adapters.tables_web import web_users
from creditdesk.service_layer.ports import WebUser


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; they were stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _user(row: RowMapping) -> WebUser:
    created = _utc(row["created_at"])
    assert created is not None
    scope = row["legal_entities"]
    return WebUser(
        username=row["username"],
        display_name=row["display_name"],
        password_hash=row["password_hash"],
        role=row["role"],
        legal_entities=tuple(scope) if scope is not None else None,
        language=row["language"],
        created_at=created,
        disabled_at=_utc(row["disabled_at"]),
    )


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, username: str) -> WebUser | None:
        u = web_users
        row = self.conn.execute(select(u).where(u.c.username == username)).mappings().first()
        return _user(row) if row is not None else None

    def add(self, user: WebUser) -> None:
        self.conn.execute(
            insert(web_users).values(
                username=user.username,
                display_name=user.display_name,
                password_hash=user.password_hash,
                role=user.role,
                legal_entities=list(user.legal_entities)
                if user.legal_entities is not None
                else None,
                language=user.language,
                created_at=user.created_at,
                disabled_at=user.disabled_at,
            )
        )

    def set_password_hash(self, username: str, password_hash: str) -> None:
        u = web_users
        self.conn.execute(
            update(u).where(u.c.username == username).values(password_hash=password_hash)
        )

    def set_language(self, username: str, language: str | None) -> None:
        u = web_users
        self.conn.execute(update(u).where(u.c.username == username).values(language=language))

    def all(self) -> list[WebUser]:
        u = web_users
        return [_user(r) for r in self.conn.execute(select(u).order_by(u.c.username)).mappings()]
