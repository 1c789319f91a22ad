"""Queries for maintenance tasks that walk every customer or credit group in batches
(keyset pagination, so memory stays flat however many there are)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t


class SqlMaintenanceQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def customer_ids(self, after: int | None, limit: int) -> list[int]:
        """Customer ids in ascending order, the next ``limit`` after ``after``."""
        c = t.customers.c
        query = select(c.id).order_by(c.id).limit(limit)
        if after is not None:
            query = query.where(c.id > after)
        return [int(value) for value in self.conn.execute(query).scalars()]

    def group_ids(self, after: str | None, limit: int) -> list[str]:
        """Credit group ids in ascending order, the next ``limit`` after ``after``."""
        g = t.credit_groups.c
        query = select(g.id).order_by(g.id).limit(limit)
        if after is not None:
            query = query.where(g.id > after)
        return [str(value) for value in self.conn.execute(query).scalars()]
