"""The set-based aging query behind ``service_layer.aging_report``: one GROUP BY over the open
invoices of a legal entity (the partial index on open invoices), bucketed by due date."""

from __future__ import annotations

from sqlalchemy import bindparam, case, func, literal, select
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWork
from creditdesk.service_layer.aging_report import BucketBounds
from creditdesk.service_layer.ports import UnitOfWork

_i = t.invoices.c
_bucket = case(
    (_i.due_date >= bindparam("current"), literal("current")),
    (_i.due_date >= bindparam("days_30"), literal("1-30")),
    (_i.due_date >= bindparam("days_60"), literal("31-60")),
    (_i.due_date >= bindparam("days_90"), literal("61-90")),
    else_=literal("over_90"),
).label("bucket")
_OPEN_BY_BUCKET = (
    select(t.customers.c.account, _i.currency, _bucket, func.sum(_i.open_minor))
    .join(t.customers, t.customers.c.id == _i.customer_id)
    .where(_i.legal_entity == bindparam("le"), _i.open_minor != 0)
    .group_by(t.customers.c.account, _i.currency, _bucket)
)


class SqlAgingQueries:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @classmethod
    def of(cls, uow: UnitOfWork) -> SqlAgingQueries:
        if not isinstance(uow, SqlAlchemyUnitOfWork):
            raise TypeError("the aging report needs the SQL unit of work")
        return cls(uow.connection)

    def open_by_bucket(
        self, legal_entity: str, bounds: BucketBounds
    ) -> list[tuple[str, str, str, int]]:
        rows = self.conn.execute(
            _OPEN_BY_BUCKET,
            {
                "le": legal_entity,
                "current": bounds.current,
                "days_30": bounds.days_30,
                "days_60": bounds.days_60,
                "days_90": bounds.days_90,
            },
        ).all()
        return [(row[0], row[1], row[2], int(row[3])) for row in rows]
