"""Set-based reads and writes for bulk document ingestion (``service_layer.bulk_import``).

Every method works on many rows at once: lookups by ``IN`` lists (in slices that stay under
SQLite's parameter limit), inserts as one ``executemany`` per table, running totals as one
upsert per (customer, currency) and per (group, legal entity, currency) with the deltas of
a whole batch already summed. All of it runs on the unit of work's connection, inside its
transaction.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWork
from creditdesk.service_layer.bulk_import import (
    BulkCustomer,
    BulkInvoice,
    BulkOrder,
    ExposureKey,
    GroupExposureKey,
    Totals,
)
from creditdesk.service_layer.errors import RetryableError
from creditdesk.service_layer.ports import UnitOfWork

_SLICE = 900
T = TypeVar("T")


def _slices(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _SLICE):
        yield items[start : start + _SLICE]


_CUSTOMERS = select(t.customers.c.id, t.customers.c.account, t.customers.c.credit_group).where(
    t.customers.c.legal_entity == bindparam("le"),
    t.customers.c.account.in_(bindparam("keys", expanding=True)),
)
_LOCK_GROUPS = (
    select(t.credit_groups.c.id)
    .where(t.credit_groups.c.id.in_(bindparam("keys", expanding=True)))
    .order_by(t.credit_groups.c.id)
    .with_for_update()
)
_CUSTOMER_GROUPS = select(t.customers.c.id, t.customers.c.credit_group).where(
    t.customers.c.id.in_(bindparam("keys", expanding=True))
)
_LOCK_CUSTOMERS = (
    select(t.customers.c.id, t.customers.c.credit_group)
    .where(t.customers.c.id.in_(bindparam("keys", expanding=True)))
    .order_by(t.customers.c.id)
    .with_for_update()
)
_INVOICES = select(
    t.invoices.c.id,
    t.invoices.c.customer_id,
    t.invoices.c.kind,
    t.invoices.c.amount_minor,
    t.invoices.c.open_minor,
    t.invoices.c.currency,
    t.invoices.c.body_hash,
).where(
    t.invoices.c.legal_entity == bindparam("le"),
    t.invoices.c.id.in_(bindparam("keys", expanding=True)),
)
_PAYMENTS = select(t.payments.c.id, t.payments.c.body_hash).where(
    t.payments.c.legal_entity == bindparam("le"),
    t.payments.c.id.in_(bindparam("keys", expanding=True)),
)
_SLIPS = select(t.packing_slips.c.id, t.packing_slips.c.body_hash).where(
    t.packing_slips.c.legal_entity == bindparam("le"),
    t.packing_slips.c.id.in_(bindparam("keys", expanding=True)),
)
_ORDERS = select(
    t.sales_orders.c.id,
    t.sales_orders.c.customer_id,
    t.sales_orders.c.amount_minor,
    t.sales_orders.c.packed_minor,
    t.sales_orders.c.currency,
    t.sales_orders.c.status,
    t.sales_orders.c.body_hash,
    t.sales_orders.c.version,
).where(
    t.sales_orders.c.legal_entity == bindparam("le"),
    t.sales_orders.c.id.in_(bindparam("keys", expanding=True)),
)
_SET_INVOICE_OPEN = (
    update(t.invoices)
    .where(t.invoices.c.legal_entity == bindparam("le"), t.invoices.c.id == bindparam("doc_id"))
    .values(open_minor=bindparam("open_minor"))
)
_SET_ORDER = (
    update(t.sales_orders)
    .where(
        t.sales_orders.c.legal_entity == bindparam("le"),
        t.sales_orders.c.id == bindparam("doc_id"),
    )
    .values(
        amount_minor=bindparam("amount_minor"),
        packed_minor=bindparam("packed_minor"),
        version=bindparam("new_version"),
        updated_at=bindparam("at"),
    )
)
# the same upsert on SQLite (3.24+) and PostgreSQL
_ADD_CUSTOMER_EXPOSURE = (
    "INSERT INTO customer_exposure (customer_id, currency, balance_minor, packing_slips_minor, "
    "open_orders_minor) VALUES ({p}) ON CONFLICT (customer_id, currency) DO UPDATE SET "
    "balance_minor = customer_exposure.balance_minor + excluded.balance_minor, "
    "packing_slips_minor = customer_exposure.packing_slips_minor + excluded.packing_slips_minor, "
    "open_orders_minor = customer_exposure.open_orders_minor + excluded.open_orders_minor"
)
_ADD_GROUP_EXPOSURE = (
    "INSERT INTO group_exposure (credit_group, legal_entity, currency, balance_minor, "
    "packing_slips_minor, open_orders_minor) VALUES ({p}) "
    "ON CONFLICT (credit_group, legal_entity, currency) DO UPDATE SET "
    "balance_minor = group_exposure.balance_minor + excluded.balance_minor, "
    "packing_slips_minor = group_exposure.packing_slips_minor + excluded.packing_slips_minor, "
    "open_orders_minor = group_exposure.open_orders_minor + excluded.open_orders_minor"
)


# Inserts of many rows go to the driver's executemany as plain tuples: SQLAlchemy's per-row
# parameter processing would cost more than SQLite's insert itself. On SQLite, dates and
# timestamps are written as the text SQLAlchemy's SQLite types write.
_INVOICE_COLUMNS = (
    "invoices",
    (
        "legal_entity",
        "id",
        "customer_id",
        "kind",
        "amount_minor",
        "currency",
        "open_minor",
        "invoice_date",
        "due_date",
        "sales_order",
        "body_hash",
        "created_at",
    ),
)
_PAYMENT_COLUMNS = (
    "payments",
    (
        "legal_entity",
        "id",
        "customer_id",
        "amount_minor",
        "currency",
        "date",
        "body_hash",
        "created_at",
    ),
)
_APPLICATION_COLUMNS = (
    "payment_applications",
    ("legal_entity", "payment_id", "invoice_id", "amount_minor", "currency", "date"),
)
_SLIP_COLUMNS = (
    "packing_slips",
    (
        "legal_entity",
        "id",
        "sales_order",
        "amount_minor",
        "currency",
        "date",
        "body_hash",
        "created_at",
    ),
)
_ORDER_COLUMNS = (
    "sales_orders",
    (
        "legal_entity",
        "id",
        "customer_id",
        "amount_minor",
        "currency",
        "packed_minor",
        "payment_terms",
        "settlement_discount",
        "status",
        "exclude",
        "body_hash",
        "version",
        "created_at",
        "updated_at",
    ),
)
_DATE_COLUMNS = frozenset({"invoice_date", "due_date", "date"})
_TIMESTAMP_COLUMNS = frozenset({"created_at", "updated_at"})


def _sqlite_timestamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _constant(value: Any, _row: dict[str, Any]) -> Any:
    return value


def _iso_date(name: str, row: dict[str, Any]) -> str:
    return str(row[name].isoformat())


def _as_int(name: str, row: dict[str, Any]) -> int:
    return int(row[name])


class SqlBulkDocuments:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._sqlite = conn.dialect.name == "sqlite"

    @classmethod
    def of(cls, uow: UnitOfWork) -> SqlBulkDocuments:
        """The bulk writer on an open SQL unit of work's connection and transaction."""
        if not isinstance(uow, SqlAlchemyUnitOfWork):
            raise TypeError("bulk imports need the SQL unit of work")
        return cls(uow.connection)

    def _many(self, stmt: Any, params: dict[str, Any], keys: Iterable[str]) -> list[Any]:
        wanted = sorted(set(keys))
        rows: list[Any] = []
        for part in _slices(wanted):
            rows.extend(self.conn.execute(stmt, {**params, "keys": list(part)}).all())
        return rows

    def customers(self, legal_entity: str, accounts: Iterable[str]) -> dict[str, BulkCustomer]:
        rows = self._many(_CUSTOMERS, {"le": legal_entity}, accounts)
        return {row.account: BulkCustomer(row.id, row.account, row.credit_group) for row in rows}

    def _groups_of(self, stmt: Any, ids: list[int]) -> dict[int, str | None]:
        found: dict[int, str | None] = {}
        for part in _slices(ids):
            for row in self.conn.execute(stmt, {"keys": list(part)}).all():
                found[row.id] = row.credit_group
        return found

    def lock(self, customer_ids: Iterable[int]) -> dict[int, str | None]:
        """Lock the customers' credit groups, then the customers (each in key order, the
        order every writer of exposure follows: no deadlock); each customer's group as read
        under the lock. On SQLite the batch's BEGIN IMMEDIATE already serialises writers."""
        ids = sorted(set(customer_ids))
        if self._sqlite:
            return self._groups_of(_CUSTOMER_GROUPS, ids)
        before = self._groups_of(_CUSTOMER_GROUPS, ids)
        self._many(_LOCK_GROUPS, {}, {g for g in before.values() if g is not None})
        locked = self._groups_of(_LOCK_CUSTOMERS, ids)
        if locked != before:
            raise RetryableError("a customer's credit group changed meanwhile")
        return locked

    def invoices(self, legal_entity: str, ids: Iterable[str]) -> dict[str, BulkInvoice]:
        return {
            row.id: BulkInvoice(
                row.customer_id,
                row.kind,
                row.amount_minor,
                row.open_minor,
                row.currency,
                row.body_hash,
            )
            for row in self._many(_INVOICES, {"le": legal_entity}, ids)
        }

    def payments(self, legal_entity: str, ids: Iterable[str]) -> dict[str, str]:
        return {row.id: row.body_hash for row in self._many(_PAYMENTS, {"le": legal_entity}, ids)}

    def packing_slips(self, legal_entity: str, ids: Iterable[str]) -> dict[str, str]:
        return {row.id: row.body_hash for row in self._many(_SLIPS, {"le": legal_entity}, ids)}

    def orders(self, legal_entity: str, ids: Iterable[str]) -> dict[str, BulkOrder]:
        return {
            row.id: BulkOrder(
                row.customer_id,
                row.amount_minor,
                row.packed_minor,
                row.currency,
                row.status,
                row.body_hash,
                row.version,
                stored=True,
            )
            for row in self._many(_ORDERS, {"le": legal_entity}, ids)
        }

    def _insert(
        self,
        target: tuple[str, tuple[str, ...]],
        rows: Sequence[dict[str, Any]],
        legal_entity: str,
        at: datetime | None,
    ) -> None:
        table, columns = target
        mark = "?" if self._sqlite else "%s"
        marks = ", ".join([mark] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        stamp: Any = at
        if self._sqlite and at is not None:
            stamp = _sqlite_timestamp(at)
        getters: list[Callable[[dict[str, Any]], Any]] = []
        for name in columns:
            if name == "legal_entity":
                getters.append(functools.partial(_constant, legal_entity))
            elif name in _TIMESTAMP_COLUMNS:
                getters.append(functools.partial(_constant, stamp))
            elif name in _DATE_COLUMNS and self._sqlite:
                getters.append(functools.partial(_iso_date, name))
            elif name == "exclude" and self._sqlite:
                getters.append(functools.partial(_as_int, name))
            else:
                getters.append(operator.itemgetter(name))
        params = [tuple(get(row) for get in getters) for row in rows]
        self.conn.exec_driver_sql(sql, params)

    def write(
        self,
        legal_entity: str,
        at: datetime,
        invoices: Sequence[dict[str, Any]],
        payments: Sequence[dict[str, Any]],
        applications: Sequence[dict[str, Any]],
        new_orders: Sequence[dict[str, Any]],
        slips: Sequence[dict[str, Any]],
        invoice_open: dict[str, int],
        changed_orders: dict[str, BulkOrder],
        customer_totals: dict[ExposureKey, Totals],
        group_totals: dict[GroupExposureKey, Totals],
    ) -> None:
        """Insert the new documents, update the touched invoices and orders and add the
        summed deltas to the running totals."""
        conn = self.conn
        if new_orders:
            self._insert(
                _ORDER_COLUMNS, [{**row, "updated_at": at} for row in new_orders], legal_entity, at
            )
        if invoices:
            self._insert(_INVOICE_COLUMNS, invoices, legal_entity, at)
        if payments:
            self._insert(_PAYMENT_COLUMNS, payments, legal_entity, at)
        if applications:
            self._insert(_APPLICATION_COLUMNS, applications, legal_entity, None)
        if invoice_open:
            conn.execute(
                _SET_INVOICE_OPEN,
                [
                    {"le": legal_entity, "doc_id": doc_id, "open_minor": open_minor}
                    for doc_id, open_minor in invoice_open.items()
                ],
            )
        if changed_orders:
            conn.execute(
                _SET_ORDER,
                [
                    {
                        "le": legal_entity,
                        "doc_id": doc_id,
                        "amount_minor": order.amount_minor,
                        "packed_minor": order.packed_minor,
                        "new_version": order.version,
                        "at": at,
                    }
                    for doc_id, order in changed_orders.items()
                ],
            )
        if slips:
            self._insert(_SLIP_COLUMNS, slips, legal_entity, at)
        mark = "?" if self._sqlite else "%s"
        if customer_totals:
            conn.exec_driver_sql(
                _ADD_CUSTOMER_EXPOSURE.format(p=", ".join([mark] * 5)),
                [(cid, cur, *totals) for (cid, cur), totals in sorted(customer_totals.items())],
            )
        if group_totals:
            conn.exec_driver_sql(
                _ADD_GROUP_EXPOSURE.format(p=", ".join([mark] * 6)),
                [(g, le, cur, *totals) for (g, le, cur), totals in sorted(group_totals.items())],
            )
