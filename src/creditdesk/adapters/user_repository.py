"""The SQLAlchemy repository of web application users."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from creditdesk.adapters.tables_web import sign_in_failures, web_sessions, web_users
from creditdesk.service_layer.ports import SignInFailures, WebSession, WebUser


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

    def set_disabled(self, username: str, at: datetime | None) -> None:
        u = web_users
        self.conn.execute(update(u).where(u.c.username == username).values(disabled_at=at))

    def all(self) -> list[WebUser]:
        u = web_users
        return [_user(r) for r in self.conn.execute(select(u).order_by(u.c.username)).mappings()]

    # --- sessions ---------------------------------------------------------------------------

    def add_session(self, session: WebSession) -> None:
        self.conn.execute(
            insert(web_sessions).values(
                id=session.session_hash,
                username=session.username,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
            )
        )

    def get_session(self, session_hash: str) -> WebSession | None:
        s = web_sessions
        row = self.conn.execute(select(s).where(s.c.id == session_hash)).mappings().first()
        if row is None:
            return None
        created, seen = _utc(row["created_at"]), _utc(row["last_seen_at"])
        assert created is not None
        assert seen is not None
        return WebSession(row["id"], row["username"], created, seen)

    def touch_session(self, session_hash: str, at: datetime) -> None:
        s = web_sessions
        self.conn.execute(update(s).where(s.c.id == session_hash).values(last_seen_at=at))

    def end_session(self, session_hash: str) -> None:
        s = web_sessions
        self.conn.execute(delete(s).where(s.c.id == session_hash))

    def end_sessions_of(self, username: str) -> int:
        s = web_sessions
        return int(self.conn.execute(delete(s).where(s.c.username == username)).rowcount)

    def end_sessions_before(self, last_seen: datetime, created: datetime) -> int:
        s = web_sessions
        done = self.conn.execute(
            delete(s).where(or_(s.c.last_seen_at < last_seen, s.c.created_at < created))
        )
        return int(done.rowcount)

    # --- the sign-in throttle ---------------------------------------------------------------

    def failures(self, keys: list[str]) -> list[SignInFailures]:
        f = sign_in_failures
        rows = self.conn.execute(select(f).where(f.c.key.in_(keys)).order_by(f.c.key)).mappings()
        found = []
        for row in rows:
            last = _utc(row["last_failure_at"])
            assert last is not None
            found.append(
                SignInFailures(row["key"], row["failures"], last, _utc(row["blocked_until"]))
            )
        return found

    def put_failures(self, failures: SignInFailures) -> None:
        f = sign_in_failures
        values = {
            "failures": failures.failures,
            "last_failure_at": failures.last_failure_at,
            "blocked_until": failures.blocked_until,
        }
        done = self.conn.execute(update(f).where(f.c.key == failures.key).values(**values))
        if not done.rowcount:
            self.conn.execute(insert(f).values(key=failures.key, **values))

    def clear_failures(self, key: str) -> None:
        f = sign_in_failures
        self.conn.execute(delete(f).where(f.c.key == key))

    def forget_failures_before(self, last_failure: datetime) -> int:
        f = sign_in_failures
        return int(self.conn.execute(delete(f).where(f.c.last_failure_at < last_failure)).rowcount)
