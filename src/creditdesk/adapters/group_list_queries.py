"""The list of customer credit groups: each group with the number of its members (in the
caller's legal entities, when the caller is scoped)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t
from creditdesk.domain.money import Money, currency
from creditdesk.service_layer.ports import GroupListRow


class SqlGroupListQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def groups(self, legal_entities: tuple[str, ...] | None) -> list[GroupListRow]:
        """Every group by id; with ``legal_entities`` only the groups with at least one member
        in them, and only those members counted."""
        g, c = t.credit_groups, t.customers
        on = c.c.credit_group == g.c.id
        if legal_entities is not None:
            on = on & c.c.legal_entity.in_(legal_entities)
        members = func.count(c.c.id)
        query = (
            select(
                g.c.id,
                g.c.description,
                g.c.limit_minor,
                g.c.limit_currency,
                g.c.limit_expires_on,
                members,
            )
            .select_from(g.outerjoin(c, on))
            .group_by(
                g.c.id, g.c.description, g.c.limit_minor, g.c.limit_currency, g.c.limit_expires_on
            )
            .order_by(g.c.id)
        )
        if legal_entities is not None:
            query = query.having(members > 0)
        return [
            GroupListRow(
                id=row[0],
                description=row[1],
                limit=Money.from_minor(row[2], currency(row[3])),
                limit_expires_on=row[4],
                members=int(row[5]),
            )
            for row in self.conn.execute(query).all()
        ]
