"""Outbox events and webhooks in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from creditdesk.adapters import tables as t
from creditdesk.adapters.repositories import _insert_sql, _utc
from creditdesk.service_layer.ports import StoredEvent, Webhook

_INSERT_EVENT = _insert_sql(t.outbox_events)  # on every hold placed: prebuilt


class SqlEventRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, at: datetime, type: str, legal_entity: str, key: str, data: dict[str, Any]
    ) -> None:
        _INSERT_EVENT.execute(
            self.conn,
            {"at": at, "type": type, "legal_entity": legal_entity, "key": key, "data": data},
        )

    def latest_id(self) -> int:
        e = t.outbox_events
        return int(self.conn.execute(select(func.max(e.c.id))).scalar() or 0)

    def after(
        self, after_id: int, legal_entities: tuple[str, ...] | None, limit: int
    ) -> list[StoredEvent]:
        e = t.outbox_events
        query = select(e).where(e.c.id > after_id)
        if legal_entities is not None:
            query = query.where(e.c.legal_entity.in_(legal_entities))
        rows = self.conn.execute(query.order_by(e.c.id).limit(limit)).mappings().all()
        result = []
        for row in rows:
            at = _utc(row["at"])
            assert at is not None
            result.append(
                StoredEvent(
                    row["id"], at, row["type"], row["legal_entity"], row["key"], dict(row["data"])
                )
            )
        return result


def _hook(row: RowMapping) -> Webhook:
    created = _utc(row["created_at"])
    assert created is not None
    return Webhook(
        id=row["id"],
        url=row["url"],
        secret=row["secret"],
        legal_entities=tuple(row["legal_entities"]) if row["legal_entities"] is not None else None,
        event_types=tuple(row["event_types"]) if row["event_types"] is not None else None,
        active=row["active"],
        cursor=row["cursor"],
        failures=row["failures"],
        next_attempt_at=_utc(row["next_attempt_at"]),
        last_error=row["last_error"],
        created_at=created,
    )


class SqlWebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, hook: Webhook) -> None:
        self.conn.execute(
            insert(t.webhooks).values(
                id=hook.id,
                url=hook.url,
                secret=hook.secret,
                legal_entities=list(hook.legal_entities)
                if hook.legal_entities is not None
                else None,
                event_types=list(hook.event_types) if hook.event_types is not None else None,
                active=hook.active,
                cursor=hook.cursor,
                failures=hook.failures,
                next_attempt_at=hook.next_attempt_at,
                last_error=hook.last_error,
                created_at=hook.created_at,
            )
        )

    def all(self) -> list[Webhook]:
        w = t.webhooks
        return [_hook(row) for row in self.conn.execute(select(w).order_by(w.c.id)).mappings()]

    def get(self, hook_id: str) -> Webhook | None:
        w = t.webhooks
        row = self.conn.execute(select(w).where(w.c.id == hook_id)).mappings().first()
        return _hook(row) if row is not None else None

    def delete(self, hook_id: str) -> bool:
        w = t.webhooks
        return bool(self.conn.execute(delete(w).where(w.c.id == hook_id)).rowcount)

    def advance(self, hook_id: str, seen_cursor: int, cursor: int) -> bool:
        w = t.webhooks
        done = self.conn.execute(
            update(w)
            .where(w.c.id == hook_id, w.c.cursor == seen_cursor)
            .values(cursor=cursor, failures=0, next_attempt_at=None, last_error=None)
        )
        return bool(done.rowcount)

    def failed(
        self, hook_id: str, seen_cursor: int, failures: int, next_attempt_at: datetime, error: str
    ) -> None:
        w = t.webhooks
        self.conn.execute(
            update(w)
            .where(w.c.id == hook_id, w.c.cursor == seen_cursor)
            .values(failures=failures, next_attempt_at=next_attempt_at, last_error=error)
        )
