"""Schedules, task runs, leases and the gauges of ``/metrics`` in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Insert, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.schema import Table

from creditdesk.adapters import tables as t
from creditdesk.adapters import tables_ops as o
from creditdesk.adapters.repositories import _utc
from creditdesk.service_layer.ports import Schedule, TaskRun


def _insert_if_absent(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on either engine: True when the row went in. No
    exception, so a lost race leaves the transaction usable (PostgreSQL aborts it on one)."""
    statement: Insert
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    # RETURNING, not rowcount: a skipped insert's rowcount is not 0 with every driver
    key = next(iter(table.primary_key.columns))
    return conn.execute(statement.returning(key)).first() is not None


def _schedule(row: RowMapping) -> Schedule:
    updated = _utc(row["updated_at"])
    assert updated is not None
    return Schedule(
        legal_entity=row["legal_entity"],
        task=row["task"],
        interval_seconds=row["interval_seconds"],
        cron=row["cron"],
        parameters=dict(row["parameters"] or {}),
        enabled=bool(row["enabled"]),
        updated_at=updated,
    )


def _run(row: RowMapping) -> TaskRun:
    started = _utc(row["started_at"])
    assert started is not None
    return TaskRun(
        id=row["id"],
        task=row["task"],
        legal_entity=row["legal_entity"],
        period=row["period"],
        started_at=started,
        finished_at=_utc(row["finished_at"]),
        outcome=row["outcome"],
        figures=dict(row["figures"]) if row["figures"] is not None else None,
        error=row["error"],
        host=row["host"],
    )


class SqlScheduleRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, legal_entity: str, task: str) -> Schedule | None:
        s = o.schedules
        row = (
            self.conn.execute(select(s).where(s.c.legal_entity == legal_entity, s.c.task == task))
            .mappings()
            .first()
        )
        return _schedule(row) if row is not None else None

    def put(self, schedule: Schedule) -> None:
        s = o.schedules
        values = {
            "interval_seconds": schedule.interval_seconds,
            "cron": schedule.cron,
            "parameters": schedule.parameters,
            "enabled": schedule.enabled,
            "updated_at": schedule.updated_at,
        }
        keys = {"legal_entity": schedule.legal_entity, "task": schedule.task}
        if not _insert_if_absent(self.conn, s, keys | values):
            self.conn.execute(
                update(s)
                .where(s.c.legal_entity == schedule.legal_entity, s.c.task == schedule.task)
                .values(values)
            )

    def delete(self, legal_entity: str, task: str) -> bool:
        s = o.schedules
        done = self.conn.execute(
            delete(s).where(s.c.legal_entity == legal_entity, s.c.task == task)
        )
        return bool(done.rowcount)

    def all(self, legal_entities: tuple[str, ...] | None) -> list[Schedule]:
        s = o.schedules
        query = select(s).order_by(s.c.legal_entity, s.c.task)
        if legal_entities is not None:
            query = query.where(s.c.legal_entity.in_(legal_entities))
        return [_schedule(row) for row in self.conn.execute(query).mappings()]

    def claim(self, run: TaskRun) -> bool:
        return _insert_if_absent(
            self.conn,
            o.task_runs,
            {
                "id": run.id,
                "task": run.task,
                "legal_entity": run.legal_entity,
                "period": run.period,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "outcome": run.outcome,
                "figures": run.figures,
                "error": run.error,
                "host": run.host,
            },
        )

    def finish(
        self,
        run_id: str,
        finished_at: datetime,
        outcome: str,
        figures: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        r = o.task_runs
        self.conn.execute(
            update(r)
            .where(r.c.id == run_id, r.c.finished_at.is_(None))
            .values(finished_at=finished_at, outcome=outcome, figures=figures, error=error)
        )

    def abandon_stale(self, started_before: datetime, now: datetime) -> int:
        r = o.task_runs
        done = self.conn.execute(
            update(r)
            .where(r.c.finished_at.is_(None), r.c.started_at < started_before)
            .values(
                finished_at=now,
                outcome="failed",
                error="the run did not finish in time (its process stopped or hung)",
            )
        )
        return int(done.rowcount)

    def runs(
        self,
        legal_entities: tuple[str, ...] | None,
        task: str | None,
        legal_entity: str | None,
        after: str | None,
        limit: int,
    ) -> list[TaskRun]:
        """Newest first; ids sort by creation time, so ``after`` is the last id seen."""
        r = o.task_runs
        query = select(r).order_by(r.c.id.desc()).limit(limit)
        if legal_entities is not None:
            query = query.where(r.c.legal_entity.in_(legal_entities))
        if task is not None:
            query = query.where(r.c.task == task)
        if legal_entity is not None:
            query = query.where(r.c.legal_entity == legal_entity)
        if after is not None:
            query = query.where(r.c.id < after)
        return [_run(row) for row in self.conn.execute(query).mappings()]


class SqlLeaseRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def acquire(self, name: str, holder: str, now: datetime, expires_at: datetime) -> bool:
        lease = o.leases
        renewed = self.conn.execute(
            update(lease)
            .where(
                lease.c.name == name,
                or_(lease.c.holder == holder, lease.c.expires_at < now),
            )
            .values(holder=holder, expires_at=expires_at)
        )
        if renewed.rowcount:
            return True
        return _insert_if_absent(
            self.conn, lease, {"name": name, "holder": holder, "expires_at": expires_at}
        )

    def release(self, name: str, holder: str) -> None:
        lease = o.leases
        self.conn.execute(delete(lease).where(lease.c.name == name, lease.c.holder == holder))


class SqlOperationsQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_holds_by_legal_entity(self) -> dict[str, int]:
        h = t.credit_holds
        rows = self.conn.execute(
            select(h.c.legal_entity, func.count())
            .where(h.c.status == "on_hold")
            .group_by(h.c.legal_entity)
        )
        return {legal_entity: int(count) for legal_entity, count in rows}

    def pending_outbox_events(self) -> int:
        """Events some active webhook has not had yet (past the lowest cursor)."""
        w = t.webhooks
        e = t.outbox_events
        lowest = self.conn.execute(
            select(func.min(w.c.cursor)).where(w.c.active.is_(True))
        ).scalar()
        if lowest is None:
            return 0
        return int(
            self.conn.execute(
                select(func.count()).select_from(e).where(and_(e.c.id > lowest))
            ).scalar()
            or 0
        )
