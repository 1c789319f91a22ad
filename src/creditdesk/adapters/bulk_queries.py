"""Set-based reads and writes for bulk document ingestion (``service_layer.bulk_import``).

Every method works on many rows at once: lookups by ``IN`` lists (in slices that stay under
SQLite's parameter limit), inserts as one ``executemany`` per table, running totals as one
upsert per (customer, currency) and per (group, legal entity, currency) with the deltas of
a whole batch already summed. All of it runs on the unit of work's connection, inside its
transaction.

The statements are plain SQL given to the driver (``exec_driver_sql``) with tuples of
parameters: SQLAlchemy's per-statement compilation (expanding ``IN`` lists) and per-row
parameter processing would cost more than the database's own work. On SQLite, dates and
timestamps are written as the text SQLAlchemy's SQLite types write.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from creditdesk.adapters import tables as t
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWork
from creditdesk.service_layer.bulk_import import (
    BulkInvoice,
    BulkOrder,
    ExposureKey,
    GroupExposureKey,
    NewApplication,
    NewInvoice,
    NewOrder,
    NewPayment,
    NewSlip,
    Totals,
)
from creditdesk.service_layer.errors import RetryableError
from creditdesk.service_layer.ports import UnitOfWork

_SLICE = 900
T = TypeVar("T")


def _slices(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _SLICE):
        yield items[start : start + _SLICE]


# Lookups: "{keys}" becomes the slice's placeholders, "{p}" one placeholder.
_CUSTOMERS = (
    "SELECT account, id, credit_group FROM customers WHERE legal_entity = {p} AND account IN "
    "({keys})"
)
_CUSTOMER_GROUPS = "SELECT id, credit_group FROM customers WHERE id IN ({keys})"
_INVOICES = (
    "SELECT id, customer_id, kind, open_minor, currency, body_hash FROM invoices "
    "WHERE legal_entity = {p} AND id IN ({keys})"
)
_PAYMENTS = "SELECT id, body_hash FROM payments WHERE legal_entity = {p} AND id IN ({keys})"
_SLIPS = "SELECT id, body_hash FROM packing_slips WHERE legal_entity = {p} AND id IN ({keys})"
_ORDERS = (
    "SELECT id, customer_id, amount_minor, packed_minor, currency, status, body_hash, version "
    "FROM sales_orders WHERE legal_entity = {p} AND id IN ({keys})"
)
_CUSTOMER_TOTALS = (
    "SELECT customer_id, currency, balance_minor, packing_slips_minor, open_orders_minor "
    "FROM customer_exposure WHERE customer_id IN ({keys})"
)
_GROUP_TOTALS = (
    "SELECT credit_group, legal_entity, currency, balance_minor, packing_slips_minor, "
    "open_orders_minor FROM group_exposure WHERE legal_entity = {p} AND credit_group IN ({keys})"
)
# Row locks (PostgreSQL only): groups, then customers, each in key order.
_LOCK_GROUPS = (
    select(t.credit_groups.c.id)
    .where(t.credit_groups.c.id.in_(bindparam("keys", expanding=True)))
    .order_by(t.credit_groups.c.id)
    .with_for_update()
)
_LOCK_CUSTOMERS = (
    select(t.customers.c.id, t.customers.c.credit_group)
    .where(t.customers.c.id.in_(bindparam("keys", expanding=True)))
    .order_by(t.customers.c.id)
    .with_for_update()
)
_SET_INVOICE_OPEN = "UPDATE invoices SET open_minor = {p} WHERE legal_entity = {p} AND id = {p}"
_SET_ORDER = (
    "UPDATE sales_orders SET amount_minor = {p}, packed_minor = {p}, version = {p}, "
    "updated_at = {p} WHERE legal_entity = {p} AND id = {p}"
)
# the same upsert on SQLite (3.24+) and PostgreSQL
_ADD_CUSTOMER_EXPOSURE = (
    "INSERT INTO customer_exposure (customer_id, currency, balance_minor, packing_slips_minor, "
    "open_orders_minor) VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (customer_id, currency) "
    "DO UPDATE SET "
    "balance_minor = customer_exposure.balance_minor + excluded.balance_minor, "
    "packing_slips_minor = customer_exposure.packing_slips_minor + excluded.packing_slips_minor, "
    "open_orders_minor = customer_exposure.open_orders_minor + excluded.open_orders_minor"
)
_ADD_GROUP_EXPOSURE = (
    "INSERT INTO group_exposure (credit_group, legal_entity, currency, balance_minor, "
    "packing_slips_minor, open_orders_minor) VALUES ({p}, {p}, {p}, {p}, {p}, {p}) "
    "ON CONFLICT (credit_group, legal_entity, currency) DO UPDATE SET "
    "balance_minor = group_exposure.balance_minor + excluded.balance_minor, "
    "packing_slips_minor = group_exposure.packing_slips_minor + excluded.packing_slips_minor, "
    "open_orders_minor = group_exposure.open_orders_minor + excluded.open_orders_minor"
)


def _insert(table: str, *columns: str) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['{p}'] * len(columns))})"
    )


_INSERT_INVOICES = _insert(
    "invoices",
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
)
_INSERT_PAYMENTS = _insert(
    "payments",
    "legal_entity",
    "id",
    "customer_id",
    "amount_minor",
    "currency",
    "date",
    "body_hash",
    "created_at",
)
_INSERT_APPLICATIONS = _insert(
    "payment_applications",
    "legal_entity",
    "payment_id",
    "invoice_id",
    "amount_minor",
    "currency",
    "date",
)
_INSERT_ORDERS = _insert(
    "sales_orders",
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
)
_INSERT_SLIPS = _insert(
    "packing_slips",
    "legal_entity",
    "id",
    "sales_order",
    "amount_minor",
    "currency",
    "date",
    "body_hash",
    "created_at",
)


_CUSTOMER = operator.itemgetter(1)


def _sqlite_timestamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


class SqlBulkDocuments:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._sqlite = conn.dialect.name == "sqlite"
        self._mark = "?" if self._sqlite else "%s"
        self._sql: dict[tuple[str, int], str] = {}
        # credit groups read in this transaction by customers() (SQLite: under its lock)
        self._groups: dict[int, str | None] = {}

    @classmethod
    def of(cls, uow: UnitOfWork) -> SqlBulkDocuments:
        """The bulk writer on an open SQL unit of work's connection and transaction."""
        if not isinstance(uow, SqlAlchemyUnitOfWork):
            raise TypeError("bulk imports need the SQL unit of work")
        return cls(uow.connection)

    def _text(self, template: str, keys: int = 0) -> str:
        sql = self._sql.get((template, keys))
        if sql is None:
            sql = template.format(p=self._mark, keys=", ".join([self._mark] * keys))
            self._sql[template, keys] = sql
        return sql

    def _many(self, template: str, first: tuple[Any, ...], keys: Iterable[Any]) -> Iterator[Any]:
        """Rows of a lookup by a list of keys, in slices (parameters ``first`` + the slice);
        one slice's rows are held at a time."""
        wanted = sorted(set(keys))
        for part in _slices(wanted):
            sql = self._text(template, len(part))
            yield from self.conn.exec_driver_sql(sql, (*first, *part)).fetchall()

    def customers(self, legal_entity: str, accounts: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        groups = self._groups
        for account, customer_id, group in self._many(_CUSTOMERS, (legal_entity,), accounts):
            found[account] = customer_id
            groups[customer_id] = group
        return found

    def _groups_of(self, ids: Sequence[int]) -> dict[int, str | None]:
        return {row[0]: row[1] for row in self._many(_CUSTOMER_GROUPS, (), ids)}

    def lock(self, customer_ids: Iterable[int]) -> dict[int, str | None]:
        """Lock the customers' credit groups, then the customers (each in key order, the
        order every writer of exposure follows: no deadlock); each customer's group as read
        under the lock. On SQLite the batch's BEGIN IMMEDIATE already serialises writers, and
        the groups customers() read in this transaction stand."""
        ids = sorted(set(customer_ids))
        if self._sqlite:
            known = self._groups
            groups = {i: known[i] for i in ids if i in known}
            if len(groups) < len(ids):
                groups.update(self._groups_of([i for i in ids if i not in known]))
            return groups
        before = self._groups_of(ids)
        wanted_groups = sorted({g for g in before.values() if g is not None})
        for names in _slices(wanted_groups):
            self.conn.execute(_LOCK_GROUPS, {"keys": list(names)}).all()
        locked: dict[int, str | None] = {}
        for part in _slices(ids):
            for row in self.conn.execute(_LOCK_CUSTOMERS, {"keys": list(part)}).all():
                locked[row.id] = row.credit_group
        if locked != before:
            raise RetryableError("a customer's credit group changed meanwhile")
        return locked

    def totals(
        self, legal_entity: str, customer_ids: Iterable[int], groups: Iterable[str]
    ) -> tuple[dict[ExposureKey, Totals], dict[GroupExposureKey, Totals]]:
        """The stored running totals of the customers and of their groups (read after lock())."""
        customers: dict[ExposureKey, Totals] = {
            (cid, cur): (b, p, o)
            for cid, cur, b, p, o in self._many(_CUSTOMER_TOTALS, (), customer_ids)
        }
        group_totals: dict[GroupExposureKey, Totals] = {
            (g, gle, cur): (b, p, o)
            for g, gle, cur, b, p, o in self._many(_GROUP_TOTALS, (legal_entity,), groups)
        }
        return customers, group_totals

    def invoices(self, legal_entity: str, ids: Iterable[str]) -> dict[str, BulkInvoice]:
        return {
            doc_id: (customer_id, kind, open_, cur, digest, True)
            for doc_id, customer_id, kind, open_, cur, digest in self._many(
                _INVOICES, (legal_entity,), ids
            )
        }

    def payments(self, legal_entity: str, ids: Iterable[str]) -> dict[str, str]:
        return dict(self._many(_PAYMENTS, (legal_entity,), ids))

    def packing_slips(self, legal_entity: str, ids: Iterable[str]) -> dict[str, str]:
        return dict(self._many(_SLIPS, (legal_entity,), ids))

    def orders(self, legal_entity: str, ids: Iterable[str]) -> dict[str, BulkOrder]:
        return {
            doc_id: BulkOrder(customer_id, amount, packed, cur, status, digest, version, True)
            for doc_id, customer_id, amount, packed, cur, status, digest, version in self._many(
                _ORDERS, (legal_entity,), ids
            )
        }

    def _executemany(self, template: str, params: list[tuple[Any, ...]]) -> None:
        if params:
            self.conn.exec_driver_sql(self._text(template), params)

    def write(
        self,
        legal_entity: str,
        at: datetime,
        invoices: Sequence[NewInvoice],
        payments: Sequence[NewPayment],
        applications: Sequence[NewApplication],
        new_orders: Sequence[NewOrder],
        slips: Sequence[NewSlip],
        invoice_open: dict[str, int],
        changed_orders: dict[str, BulkOrder],
        customer_totals: dict[ExposureKey, Totals],
        group_totals: dict[GroupExposureKey, Totals],
    ) -> None:
        """Insert the new documents, update the touched invoices and orders and add the
        summed deltas to the running totals."""
        le = legal_entity
        if self._sqlite:
            # dates as ISO text, booleans as 0/1, timestamps as SQLAlchemy's SQLite text
            now: Any = _sqlite_timestamp(at)
            self._executemany(
                _INSERT_ORDERS,
                [
                    (le, i, c, a, cur, pk, pt, sd, st, int(x), h, v, now, now)
                    for i, c, a, cur, pk, pt, sd, st, x, h, v in new_orders
                ],
            )
            self._executemany(
                _INSERT_INVOICES,
                [
                    (le, i, c, k, a, cur, o, d1.isoformat(), d2.isoformat(), so, h, now)
                    for i, c, k, a, cur, o, d1, d2, so, h in sorted(invoices, key=_CUSTOMER)
                ],
            )
            self._executemany(
                _INSERT_PAYMENTS,
                [(le, i, c, a, cur, d.isoformat(), h, now) for i, c, a, cur, d, h in payments],
            )
            self._executemany(
                _INSERT_APPLICATIONS,
                [(le, p, i, a, cur, d.isoformat()) for p, i, a, cur, d in applications],
            )
        else:
            now = at
            self._executemany(_INSERT_ORDERS, [(le, *row, now, now) for row in new_orders])
            self._executemany(_INSERT_INVOICES, [(le, *row, now) for row in invoices])
            self._executemany(_INSERT_PAYMENTS, [(le, *row, now) for row in payments])
            self._executemany(_INSERT_APPLICATIONS, [(le, *row) for row in applications])
        self._executemany(
            _SET_INVOICE_OPEN,
            [(open_minor, le, doc_id) for doc_id, open_minor in sorted(invoice_open.items())],
        )
        self._executemany(
            _SET_ORDER,
            [
                (order.amount_minor, order.packed_minor, order.version, now, le, doc_id)
                for doc_id, order in changed_orders.items()
            ],
        )
        if self._sqlite:
            self._executemany(
                _INSERT_SLIPS,
                [(le, i, o, a, cur, d.isoformat(), h, now) for i, o, a, cur, d, h in slips],
            )
        else:
            self._executemany(_INSERT_SLIPS, [(le, *row, now) for row in slips])
        self._executemany(
            _ADD_CUSTOMER_EXPOSURE,
            [(cid, cur, *totals) for (cid, cur), totals in sorted(customer_totals.items())],
        )
        self._executemany(
            _ADD_GROUP_EXPOSURE,
            [(g, gle, cur, *totals) for (g, gle, cur), totals in sorted(group_totals.items())],
        )
