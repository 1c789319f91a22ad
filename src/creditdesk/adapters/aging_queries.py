"""The set-based aging query behind ``service_layer.aging_report``: one GROUP BY over the open
invoices of a legal entity (the partial index on open invoices), one row per customer and
currency with the open amount of each bucket summed by a ``CASE`` on the due date.

The invoices are grouped by customer id (an integer) and currency — small keys, and every
invoice's bucket is decided inside its ``SUM`` — and the customers' accounts are joined to the
grouped rows afterwards (one lookup per customer and currency, not per invoice). An index that
covers ``(legal_entity, customer_id, currency, due_date, open_minor) WHERE open_minor <> 0``
would let the database group in index order without sorting or reading the table.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Integer,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWork
from creditdesk.service_layer.aging_report import BucketBounds
from creditdesk.service_layer.ports import UnitOfWork

_i = t.invoices.c
_c = t.customers.c
_ZERO: ColumnElement[int] = literal_column("0", Integer)


def _open_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, _i.open_minor), else_=_ZERO))


_due = _i.due_date
_current: BindParameter[date] = bindparam("current", type_=Date)
_days_30: BindParameter[date] = bindparam("days_30", type_=Date)
_days_60: BindParameter[date] = bindparam("days_60", type_=Date)
_days_90: BindParameter[date] = bindparam("days_90", type_=Date)
# one sum per bucket of domain.aging.BUCKETS, in its order (see BucketBounds)
_sums = (
    _open_where(_due >= _current),
    _open_where(and_(_due >= _days_30, _due < _current)),
    _open_where(and_(_due >= _days_60, _due < _days_30)),
    _open_where(and_(_due >= _days_90, _due < _days_60)),
    _open_where(_due < _days_90),
)
_by_customer = (
    select(
        _i.customer_id.label("customer_id"),
        _i.currency.label("currency"),
        *(total.label(f"b{n}") for n, total in enumerate(_sums)),
    )
    # written as the partial index's own predicate (``open_minor <> 0``), not a bound 0
    .where(_i.legal_entity == bindparam("le"), _i.open_minor != _ZERO)
    .group_by(_i.customer_id, _i.currency)
    .subquery("by_customer")
)
_OPEN_BY_BUCKET = select(
    _c.account,
    _by_customer.c.currency,
    *(_by_customer.c[f"b{n}"] for n in range(len(_sums))),
).join_from(_by_customer, t.customers, _c.id == _by_customer.c.customer_id)


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
    ) -> list[tuple[str, str, list[int]]]:
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
        return [(row[0], row[1], [int(minor) for minor in row[2:]]) for row in rows]
