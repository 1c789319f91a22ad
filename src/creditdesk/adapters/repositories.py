"""SQLAlchemy Core repositories: explicit translation between rows and domain values."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from creditdesk.adapters import tables as t
from creditdesk.domain.customers import CreditProfile, Customer
from creditdesk.domain.errors import AmountOutOfRangeError
from creditdesk.domain.exposure import ExposureBucket, ExposureDelta
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.holds import Hold, HoldReason, HoldStatus
from creditdesk.domain.limits import LimitScope
from creditdesk.domain.money import MAX_MINOR, Money, check_minor, currency
from creditdesk.domain.rules import (
    BlockingRule,
    Reason,
    ReasonCode,
    RuleKind,
    RuleType,
    ValidFor,
    ValueType,
)
from creditdesk.domain.setup import (
    Checkpoint,
    CheckpointSetup,
    CreditLimitType,
    CreditParameters,
)
from creditdesk.service_layer import serialize
from creditdesk.service_layer.ports import (
    ApiToken,
    AuditEvent,
    HoldFilter,
    Invoice,
    LegalEntity,
    RateQuote,
    SalesOrder,
    StoredCustomer,
    StoredDocument,
)
from creditdesk.service_layer.rates import inverse_rate


def _money(minor: int | None, code: str | None) -> Money | None:
    if minor is None or code is None:
        return None
    return Money.from_minor(minor, currency(code))


def _minor(value: Money | None) -> int | None:
    return value.minor if value is not None else None


def _code(value: Money | None) -> str | None:
    return value.currency.code if value is not None else None


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; they were stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# --- the hot path: SQL written once, executed through the unit of work's connection ---------
#
# The statements a credit check runs are written once as SQL text with ``:name`` parameters,
# rendered once per DB-API parameter style (SQLite's ``:name``, psycopg's ``%(name)s``) and
# run with ``Connection.exec_driver_sql``: still the unit of work's connection and
# transaction (and its events), but no statement building, cache-key generation or
# compilation per call. Raw rows carry the driver's types, so the few columns SQLAlchemy's
# types would convert (dates, timestamps, booleans and JSON on SQLite) are converted here,
# from the table definitions.

_NAMED_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


class _Sql:
    """One hand-written statement, rendered for each parameter style."""

    __slots__ = ("named", "pyformat")

    def __init__(self, sql: str) -> None:
        self.named = sql
        self.pyformat = _NAMED_PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))

    def _cursor(self, conn: Connection, params: dict[str, Any]) -> Any:
        # The DB-API connection under the unit of work's Connection: the same transaction
        # (begun by the unit of work), without SQLAlchemy's per-call execution context and
        # result metadata, which cost more than SQLite's own work on these one-row reads.
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        sqlite = conn.dialect.name == "sqlite"
        sql = self.named
        if sqlite:
            params = {k: v if type(v) in _AS_IS else _sqlite_param(v) for k, v in params.items()}
        else:
            sql = self.pyformat
            params = {k: v if type(v) in _AS_IS else _pg_param(v) for k, v in params.items()}
        cursor = dbapi.cursor()
        try:
            cursor.execute(sql, params)
        except conn.dialect.loaded_dbapi.Error as error:
            cursor.close()
            # the same exception SQLAlchemy would raise, so retries and error mapping hold
            raise DBAPIError.instance(
                sql, params, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from error
        return cursor

    def first(self, conn: Connection, params: dict[str, Any]) -> Any:
        cursor = self._cursor(conn, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    def all(self, conn: Connection, params: dict[str, Any]) -> list[Any]:
        cursor = self._cursor(conn, params)
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def scalar(self, conn: Connection, params: dict[str, Any]) -> Any:
        row = self.first(conn, params)
        return row[0] if row is not None else None

    def execute(self, conn: Connection, params: dict[str, Any]) -> int:
        """Run a write; the number of rows it changed."""
        cursor = self._cursor(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()


_AS_IS: frozenset[type] = frozenset({str, int, bool, float, type(None)})


def _sqlite_param(value: Any) -> Any:
    # stored as SQLAlchemy's SQLite types store them: ISO text for dates, timestamps in UTC as
    # "YYYY-MM-DD HH:MM:SS.ffffff", JSON as text
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _pg_param(value: Any) -> Any:
    # JSON as text: psycopg sends a str untyped, so PostgreSQL takes it as the column's json
    return json.dumps(value) if isinstance(value, dict | list) else value


def _insert_sql(table: Table) -> _Sql:
    """A prebuilt INSERT of every column of ``table`` but an autoincrement key; the caller
    gives every column (None for NULL)."""
    names = [c.name for c in table.c if not (c.primary_key and c.autoincrement is True)]
    columns = ", ".join(names)
    values = ", ".join(f":{name}" for name in names)
    return _Sql(f"INSERT INTO {table.name} ({columns}) VALUES ({values})")


def _to_date(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _to_ts(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _to_bool(value: Any) -> Any:
    return value if value is None else bool(value)


def _to_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _converter(column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, DateTime):
        return _to_ts
    if isinstance(column_type, Date):
        return _to_date
    if isinstance(column_type, Boolean):
        return _to_bool
    if isinstance(column_type, JSON):
        return _to_json
    return None


class _Columns:
    """A table's columns for hand-written SELECTs, turning raw rows into mappings with the
    values SQLAlchemy's column types would have produced."""

    __slots__ = ("_convert", "names", "sql")

    def __init__(self, table: Table, names: Sequence[str] | None = None) -> None:
        self.names = tuple(names or (c.name for c in table.c))
        self.sql = ", ".join(self.names)
        self._convert = tuple(
            (i, fn)
            for i, name in enumerate(self.names)
            if (fn := _converter(table.c[name].type)) is not None
        )

    def row(self, raw: Sequence[Any], sqlite: bool) -> dict[str, Any]:
        values = list(raw)
        for index, fn in self._convert:
            value = values[index]
            if value is not None and (sqlite or fn is _to_ts):
                values[index] = fn(value)
        return dict(zip(self.names, values, strict=True))


def _is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


class _Repo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


# --- legal entities -----------------------------------------------------------------------------


_LE_COLUMNS = _Columns(
    t.legal_entities, [c.name for c in t.legal_entities.c if c.name not in ("created_at",)]
)
_LE_GET = _Sql(f"SELECT {_LE_COLUMNS.sql} FROM legal_entities WHERE id = :id")
# Per process: the last row read per legal entity and the value built from it. A hit needs
# the row to be identical (setup_version and updated_at included), so it is never stale;
# it only saves building the parameters again.
_LE_CACHE: dict[str, tuple[tuple[Any, ...], LegalEntity]] = {}
_LE_CACHE_LOCK = threading.Lock()


def _legal_entity(row: Mapping[Any, Any]) -> LegalEntity:
    params = CreditParameters(
        credit_management=row["credit_management"],
        credit_limit_type=CreditLimitType(row["credit_limit_type"]),
        check_group_limits=row["check_group_limits"],
        allow_manual_limit_edit=row["allow_manual_limit_edit"],
        check_credit_limit_on_sales_order=row["check_credit_limit_on_sales_order"],
        check_payment_terms_increase=row["check_payment_terms_increase"],
        check_settlement_discount_increase=row["check_settlement_discount_increase"],
        skip_rules_after_release=row["skip_rules_after_release"],
        ignore_blank_expiry=row["ignore_blank_expiry"],
        auto_release_with_posting=row["auto_release_with_posting"],
        release_reason_ready=row["release_reason_ready"],
        release_reason_cancel=row["release_reason_cancel"],
        release_reason_modified=row["release_reason_modified"],
        exclude_intercompany_orders=row["exclude_intercompany_orders"],
        checkpoints=tuple(
            CheckpointSetup(
                Checkpoint(c["checkpoint"]), c["posting"], c["pro_forma"], c["grace_days"]
            )
            for c in row["checkpoints"]
        ),
    )
    return LegalEntity(
        row["id"],
        row["name"],
        currency(row["accounting_currency"]),
        params,
        row["setup_version"],
    )


class SqlLegalEntityRepository(_Repo):
    def _values(self, entity: LegalEntity) -> dict[str, Any]:
        p = entity.parameters
        return {
            "name": entity.name,
            "accounting_currency": entity.accounting_currency.code,
            "credit_management": p.credit_management,
            "credit_limit_type": p.credit_limit_type.value,
            "check_group_limits": p.check_group_limits,
            "allow_manual_limit_edit": p.allow_manual_limit_edit,
            "check_credit_limit_on_sales_order": p.check_credit_limit_on_sales_order,
            "check_payment_terms_increase": p.check_payment_terms_increase,
            "check_settlement_discount_increase": p.check_settlement_discount_increase,
            "skip_rules_after_release": p.skip_rules_after_release,
            "ignore_blank_expiry": p.ignore_blank_expiry,
            "auto_release_with_posting": p.auto_release_with_posting,
            "release_reason_ready": p.release_reason_ready,
            "release_reason_cancel": p.release_reason_cancel,
            "release_reason_modified": p.release_reason_modified,
            "exclude_intercompany_orders": p.exclude_intercompany_orders,
            "checkpoints": [
                {
                    "checkpoint": row.checkpoint.value,
                    "posting": row.posting,
                    "pro_forma": row.pro_forma,
                    "grace_days": row.grace_days,
                }
                for row in p.checkpoints
            ],
            "setup_version": entity.setup_version,
        }

    def get(self, legal_entity: str) -> LegalEntity | None:
        sqlite = _is_sqlite(self.conn)
        raw = _LE_GET.first(self.conn, {"id": legal_entity})
        if raw is None:
            return None
        key = tuple(raw)
        cached = _LE_CACHE.get(legal_entity)
        if cached is not None and cached[0] == key:
            return cached[1]  # the same row as last time: the same (immutable) value
        entity = _legal_entity(_LE_COLUMNS.row(raw, sqlite))
        with _LE_CACHE_LOCK:
            _LE_CACHE[legal_entity] = (key, entity)
        return entity

    def add(self, entity: LegalEntity, at: datetime) -> None:
        self.conn.execute(
            insert(t.legal_entities).values(
                id=entity.id, created_at=at, updated_at=at, **self._values(entity)
            )
        )

    def update(self, entity: LegalEntity, at: datetime) -> None:
        self.conn.execute(
            update(t.legal_entities)
            .where(t.legal_entities.c.id == entity.id)
            .values(updated_at=at, **self._values(entity))
        )

    def all_ids(self) -> list[str]:
        return list(
            self.conn.execute(select(t.legal_entities.c.id).order_by(t.legal_entities.c.id))
            .scalars()
            .all()
        )


# --- exchange rates -----------------------------------------------------------------------------


_RATE_LATEST = _Sql(
    "SELECT rate, valid_from FROM exchange_rates WHERE from_currency = :source "
    "AND to_currency = :target AND valid_from <= :on ORDER BY valid_from DESC LIMIT 1"
)


class SqlRateRepository(_Repo):
    def put(
        self, from_currency: str, to_currency: str, rate: Decimal, valid_from: date, at: datetime
    ) -> None:
        r = t.exchange_rates
        key = and_(
            r.c.from_currency == from_currency,
            r.c.to_currency == to_currency,
            r.c.valid_from == valid_from,
        )
        done = self.conn.execute(update(r).where(key).values(rate=str(rate), created_at=at))
        if done.rowcount == 0:
            self.conn.execute(
                insert(r).values(
                    from_currency=from_currency,
                    to_currency=to_currency,
                    valid_from=valid_from,
                    rate=str(rate),
                    created_at=at,
                )
            )

    def _latest(self, source: str, target: str, on: date) -> tuple[str, date] | None:
        row = _RATE_LATEST.first(self.conn, {"source": source, "target": target, "on": on})
        return (row[0], _to_date(row[1])) if row is not None else None

    def quote(self, from_currency: str, to_currency: str, on: date) -> RateQuote | None:
        direct = self._latest(from_currency, to_currency, on)
        if direct is not None:
            return RateQuote(Decimal(direct[0]), direct[1], False)
        reverse = self._latest(to_currency, from_currency, on)
        if reverse is not None:
            return RateQuote(inverse_rate(Decimal(reverse[0])), reverse[1], True)
        return None

    def all(
        self, from_currency: str | None, to_currency: str | None
    ) -> list[tuple[str, str, Decimal, date]]:
        r = t.exchange_rates
        query = select(r.c.from_currency, r.c.to_currency, r.c.rate, r.c.valid_from)
        if from_currency:
            query = query.where(r.c.from_currency == from_currency)
        if to_currency:
            query = query.where(r.c.to_currency == to_currency)
        rows = self.conn.execute(
            query.order_by(r.c.from_currency, r.c.to_currency, r.c.valid_from)
        ).all()
        return [(a, b, Decimal(c), d) for a, b, c, d in rows]


# --- customers ----------------------------------------------------------------------------------


def _customer_values(customer: Customer) -> dict[str, Any]:
    c = customer.credit
    return {
        "legal_entity": customer.legal_entity,
        "account": customer.account,
        "name": customer.name,
        "currency": customer.currency.code,
        "payment_terms": customer.payment_terms,
        "settlement_discount": customer.settlement_discount,
        "limit_minor": _minor(c.limit),
        "limit_currency": _code(c.limit),
        "limit_expires_on": c.limit_expires_on,
        "limit_date": c.limit_date,
        "mandatory_limit": c.mandatory_limit,
        "unlimited_limit": c.unlimited_limit,
        "exclude": c.exclude,
        "account_status": c.account_status,
        "status_reason": c.status_reason,
        "credit_management_group": c.credit_management_group,
        "risk_group": c.risk_group,
        "last_review_on": c.last_review_on,
        "next_review_on": c.next_review_on,
        "eligible_limit_minor": _minor(c.eligible_limit),
        "eligible_limit_currency": _code(c.eligible_limit),
        "business_started_on": c.business_started_on,
        "customer_since": c.customer_since,
        "country": c.country,
        "revenue_minor": _minor(c.revenue),
        "revenue_currency": _code(c.revenue),
        "notes": c.notes,
        "credit_group": customer.credit_group,
    }


def _customer(row: Mapping[Any, Any]) -> StoredCustomer:
    credit = CreditProfile(
        limit=_money(row["limit_minor"], row["limit_currency"]),
        limit_expires_on=row["limit_expires_on"],
        limit_date=row["limit_date"],
        mandatory_limit=row["mandatory_limit"],
        unlimited_limit=row["unlimited_limit"],
        exclude=row["exclude"],
        account_status=row["account_status"],
        status_reason=row["status_reason"],
        credit_management_group=row["credit_management_group"],
        risk_group=row["risk_group"],
        last_review_on=row["last_review_on"],
        next_review_on=row["next_review_on"],
        eligible_limit=_money(row["eligible_limit_minor"], row["eligible_limit_currency"]),
        business_started_on=row["business_started_on"],
        customer_since=row["customer_since"],
        country=row["country"],
        revenue=_money(row["revenue_minor"], row["revenue_currency"]),
        notes=row["notes"],
    )
    customer = Customer(
        legal_entity=row["legal_entity"],
        account=row["account"],
        name=row["name"],
        currency=currency(row["currency"]),
        payment_terms=row["payment_terms"],
        settlement_discount=row["settlement_discount"],
        credit=credit,
        credit_group=row["credit_group"],
    )
    return StoredCustomer(row["id"], customer, row["version"])


def _bucket(row: Any, kind: CreditLimitType = CreditLimitType.BALANCE_AND_ALL) -> ExposureBucket:
    return ExposureBucket(
        currency(row.currency),
        row.balance_minor,
        row.packing_slips_minor,
        row.open_orders_minor,
        kind,
    )


_CUSTOMER_COLUMNS = _Columns(
    t.customers, [c.name for c in t.customers.c if c.name not in ("created_at", "updated_at")]
)
_CUSTOMER_BY_ID = _Sql(f"SELECT {_CUSTOMER_COLUMNS.sql} FROM customers WHERE id = :id")
_CUSTOMER_BY_ID_LOCK = _Sql(f"{_CUSTOMER_BY_ID.named} FOR UPDATE")
_CUSTOMER_BY_KEY = _Sql(
    f"SELECT {_CUSTOMER_COLUMNS.sql} FROM customers "
    "WHERE legal_entity = :legal_entity AND account = :account"
)
_CUSTOMER_BY_KEY_LOCK = _Sql(f"{_CUSTOMER_BY_KEY.named} FOR UPDATE")
_CUSTOMER_EXPOSURE = _Sql(
    "SELECT currency, balance_minor, packing_slips_minor, open_orders_minor "
    "FROM customer_exposure WHERE customer_id = :customer_id"
)
# The running totals only move while each, and the exposure they add up to in their currency,
# stays within 64-bit minor units: the bounds of the current values are computed in Python
# (``_bounded``), so the database never computes a value past the bound (PostgreSQL would
# fail, SQLite would silently turn it into a float). Packing slips and open orders are never
# negative and the balance is at least -MAX_MINOR, so the sum below cannot overflow either.
_WITHIN = (
    "AND balance_minor BETWEEN :balance_lo AND :balance_hi "
    "AND packing_slips_minor BETWEEN :packing_slips_lo AND :packing_slips_hi "
    "AND open_orders_minor BETWEEN :open_orders_lo AND :open_orders_hi "
    "AND balance_minor + packing_slips_minor + open_orders_minor BETWEEN :total_lo AND :total_hi"
)
_CUSTOMER_EXPOSURE_ADD = _Sql(
    "UPDATE customer_exposure SET balance_minor = balance_minor + :balance, "
    "packing_slips_minor = packing_slips_minor + :packing_slips, "
    "open_orders_minor = open_orders_minor + :open_orders "
    f"WHERE customer_id = :customer_id AND currency = :currency {_WITHIN}"
)
_CUSTOMER_EXPOSURE_ROW = _Sql(
    "SELECT 1 FROM customer_exposure WHERE customer_id = :customer_id AND currency = :currency"
)
_CUSTOMER_EXPOSURE_NEW = _Sql(
    "INSERT INTO customer_exposure "
    "(customer_id, currency, balance_minor, packing_slips_minor, open_orders_minor) "
    "VALUES (:customer_id, :currency, :balance, :packing_slips, :open_orders)"
)


def _bounded(params: dict[str, Any], delta: ExposureDelta) -> dict[str, Any]:
    """``params`` with, for each running total, the range its current value must be in for the
    sum with the delta to stay within ``MAX_MINOR`` (the new row's values, the deltas
    themselves, are checked here too)."""
    bounded = dict(params)
    for name, change in (
        ("balance", delta.balance),
        ("packing_slips", delta.packing_slips),
        ("open_orders", delta.open_orders),
        ("total", delta.balance + delta.packing_slips + delta.open_orders),
    ):
        check_minor(change, delta.currency)
        bounded[f"{name}_lo"] = max(-MAX_MINOR, -MAX_MINOR - change)
        bounded[f"{name}_hi"] = min(MAX_MINOR, MAX_MINOR - change)
    return bounded


def _past_the_bound(delta: ExposureDelta) -> AmountOutOfRangeError:
    """The running total exists and the delta would take it out of range."""
    return AmountOutOfRangeError(
        f"this document would take a running {delta.currency.code} exposure total past "
        f"{MAX_MINOR:,} minor units, the most a total can hold",
        currency=delta.currency.code,
    )


class SqlCustomerRepository(_Repo):
    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        # On SQLite the transaction holds the database's write lock from BEGIN IMMEDIATE (a
        # read-only one reads one snapshot), so a customer read twice in one unit of work
        # (once to find its group, once "under the lock") is the same row unless this unit
        # of work changed it: the second read is served from here. PostgreSQL reads again.
        self._seen: dict[int, StoredCustomer] | None = {} if _is_sqlite(conn) else None

    def _one(self, sql: _Sql, params: dict[str, Any]) -> StoredCustomer | None:
        raw = sql.first(self.conn, params)
        if raw is None:
            return None
        stored = _customer(_CUSTOMER_COLUMNS.row(raw, self._seen is not None))
        if self._seen is not None:
            self._seen[stored.id] = stored
        return stored

    def get(self, legal_entity: str, account: str, *, lock: bool = False) -> StoredCustomer | None:
        sql = _CUSTOMER_BY_KEY_LOCK if lock and self._seen is None else _CUSTOMER_BY_KEY
        return self._one(sql, {"legal_entity": legal_entity, "account": account})

    def get_by_id(self, customer_id: int, *, lock: bool = False) -> StoredCustomer | None:
        if self._seen is not None:
            seen = self._seen.get(customer_id)
            if seen is not None:
                return seen
            return self._one(_CUSTOMER_BY_ID, {"id": customer_id})
        return self._one(_CUSTOMER_BY_ID_LOCK if lock else _CUSTOMER_BY_ID, {"id": customer_id})

    def _forget(self, customer_id: int | None = None) -> None:
        if self._seen is not None:
            if customer_id is None:
                self._seen.clear()
            else:
                self._seen.pop(customer_id, None)

    def add(self, customer: Customer, at: datetime) -> int:
        result = self.conn.execute(
            insert(t.customers).values(
                version=1, created_at=at, updated_at=at, **_customer_values(customer)
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def update(self, customer_id: int, customer: Customer, at: datetime) -> None:
        self._forget(customer_id)
        self.conn.execute(
            update(t.customers)
            .where(t.customers.c.id == customer_id)
            .values(version=t.customers.c.version + 1, updated_at=at, **_customer_values(customer))
        )

    def same_account_elsewhere(self, account: str, legal_entity: str) -> list[tuple[str, str]]:
        c = t.customers.c
        rows = self.conn.execute(
            select(c.legal_entity, c.account)
            .where(c.account == account, c.legal_entity != legal_entity)
            .order_by(c.legal_entity)
        ).all()
        return [(row[0], row[1]) for row in rows]

    def members(self, group_id: str) -> list[StoredCustomer]:
        c = t.customers.c
        rows = (
            self.conn.execute(
                select(t.customers)
                .where(c.credit_group == group_id)
                .order_by(c.legal_entity, c.account)
            )
            .mappings()
            .all()
        )
        return [_customer(row) for row in rows]

    def exposure(
        self, customer_id: int, kind: CreditLimitType = CreditLimitType.BALANCE_AND_ALL
    ) -> list[ExposureBucket]:
        rows = _CUSTOMER_EXPOSURE.all(self.conn, {"customer_id": customer_id})
        return [
            ExposureBucket(currency(code), balance, packed, orders, kind)
            for code, balance, packed, orders in rows
        ]

    def apply_exposure(self, customer_id: int, delta: ExposureDelta) -> None:
        params = {
            "customer_id": customer_id,
            "currency": delta.currency.code,
            "balance": delta.balance,
            "packing_slips": delta.packing_slips,
            "open_orders": delta.open_orders,
        }
        if _CUSTOMER_EXPOSURE_ADD.execute(self.conn, _bounded(params, delta)) == 0:
            if _CUSTOMER_EXPOSURE_ROW.all(self.conn, params):
                raise _past_the_bound(delta)
            _CUSTOMER_EXPOSURE_NEW.execute(self.conn, params)


# --- credit groups ------------------------------------------------------------------------------


_GROUP_GET = _Sql(
    "SELECT id, description, limit_minor, limit_currency, limit_expires_on "
    "FROM credit_groups WHERE id = :id"
)
_GROUP_GET_LOCK = _Sql(f"{_GROUP_GET.named} FOR UPDATE")
_GROUP_EXPOSURE = _Sql(
    "SELECT e.legal_entity, e.currency, e.balance_minor, e.packing_slips_minor, "
    "e.open_orders_minor, le.credit_limit_type "
    "FROM group_exposure e JOIN legal_entities le ON le.id = e.legal_entity "
    "WHERE e.credit_group = :credit_group"
)
_GROUP_EXPOSURE_ADD = _Sql(
    "UPDATE group_exposure SET balance_minor = balance_minor + :balance, "
    "packing_slips_minor = packing_slips_minor + :packing_slips, "
    "open_orders_minor = open_orders_minor + :open_orders "
    "WHERE credit_group = :credit_group AND legal_entity = :legal_entity "
    f"AND currency = :currency {_WITHIN}"
)
_GROUP_EXPOSURE_ROW = _Sql(
    "SELECT 1 FROM group_exposure WHERE credit_group = :credit_group "
    "AND legal_entity = :legal_entity AND currency = :currency"
)
_GROUP_EXPOSURE_NEW = _Sql(
    "INSERT INTO group_exposure (credit_group, legal_entity, currency, balance_minor, "
    "packing_slips_minor, open_orders_minor) VALUES (:credit_group, :legal_entity, :currency, "
    ":balance, :packing_slips, :open_orders)"
)


class SqlCreditGroupRepository(_Repo):
    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        # the same reasoning as for customers: on SQLite one unit of work sees one state
        self._seen: dict[str, CreditGroup] | None = {} if _is_sqlite(conn) else None

    def get(self, group_id: str, *, lock: bool = False) -> CreditGroup | None:
        if self._seen is not None:
            seen = self._seen.get(group_id)
            if seen is not None:
                return seen
        sql = _GROUP_GET_LOCK if lock and self._seen is None else _GROUP_GET
        row = sql.first(self.conn, {"id": group_id})
        if row is None:
            return None
        limit = Money.from_minor(row[2], currency(row[3]))
        group = CreditGroup(row[0], row[1], limit, _to_date(row[4]))
        if self._seen is not None:
            self._seen[group_id] = group
        return group

    def _values(self, group: CreditGroup) -> dict[str, Any]:
        return {
            "description": group.description,
            "limit_minor": group.limit.minor,
            "limit_currency": group.limit.currency.code,
            "limit_expires_on": group.limit_expires_on,
        }

    def add(self, group: CreditGroup, at: datetime) -> None:
        self.conn.execute(
            insert(t.credit_groups).values(
                id=group.id, version=1, created_at=at, updated_at=at, **self._values(group)
            )
        )

    def update(self, group: CreditGroup, at: datetime) -> None:
        if self._seen is not None:
            self._seen.pop(group.id, None)
        g = t.credit_groups
        self.conn.execute(
            update(g)
            .where(g.c.id == group.id)
            .values(version=g.c.version + 1, updated_at=at, **self._values(group))
        )

    def exposure(self, group_id: str) -> list[tuple[str, ExposureBucket]]:
        rows = _GROUP_EXPOSURE.all(self.conn, {"credit_group": group_id})
        return [
            (le, ExposureBucket(currency(code), balance, packed, orders, CreditLimitType(kind)))
            for le, code, balance, packed, orders, kind in rows
        ]

    def apply_exposure(self, group_id: str, legal_entity: str, delta: ExposureDelta) -> None:
        if delta.is_zero:
            return
        params = {
            "credit_group": group_id,
            "legal_entity": legal_entity,
            "currency": delta.currency.code,
            "balance": delta.balance,
            "packing_slips": delta.packing_slips,
            "open_orders": delta.open_orders,
        }
        if _GROUP_EXPOSURE_ADD.execute(self.conn, _bounded(params, delta)) == 0:
            if _GROUP_EXPOSURE_ROW.all(self.conn, params):
                raise _past_the_bound(delta)
            _GROUP_EXPOSURE_NEW.execute(self.conn, params)


# --- documents ----------------------------------------------------------------------------------


def _invoice(row: Mapping[Any, Any]) -> Invoice:
    cur = currency(row["currency"])
    return Invoice(
        row["legal_entity"],
        row["id"],
        row["customer_id"],
        row["kind"],
        Money.from_minor(row["amount_minor"], cur),
        Money.from_minor(row["open_minor"], cur),
        row["invoice_date"],
        row["due_date"],
        row["sales_order"],
        row["body_hash"],
    )


_OVERDUE = _Sql(
    "SELECT currency, SUM(open_minor), MIN(due_date) FROM invoices "
    "WHERE customer_id = :customer_id AND open_minor <> 0 AND open_minor > 0 "
    "AND due_date < :as_of GROUP BY currency"
)


# the oldest due date alone: the first open past-due entry of the customer in the covering
# index's (customer_id, due_date) order, whatever the number of open invoices
_OLDEST_OVERDUE = _Sql(
    "SELECT due_date FROM invoices WHERE customer_id = :customer_id AND open_minor <> 0 "
    "AND open_minor > 0 AND due_date < :as_of ORDER BY due_date LIMIT 1"
)


class SqlDocumentRepository(_Repo):
    def invoice(self, legal_entity: str, invoice_id: str) -> Invoice | None:
        i = t.invoices
        row = (
            self.conn.execute(
                select(i).where(i.c.legal_entity == legal_entity, i.c.id == invoice_id)
            )
            .mappings()
            .first()
        )
        return _invoice(row) if row is not None else None

    def add_invoice(self, invoice: Invoice, at: datetime) -> None:
        self.conn.execute(
            insert(t.invoices).values(
                legal_entity=invoice.legal_entity,
                id=invoice.id,
                customer_id=invoice.customer_id,
                kind=invoice.kind,
                amount_minor=invoice.amount.minor,
                currency=invoice.amount.currency.code,
                open_minor=invoice.open_amount.minor,
                invoice_date=invoice.invoice_date,
                due_date=invoice.due_date,
                sales_order=invoice.sales_order,
                body_hash=invoice.body_hash,
                created_at=at,
            )
        )

    def set_invoice_open(self, legal_entity: str, invoice_id: str, open_amount: Money) -> None:
        i = t.invoices
        self.conn.execute(
            update(i)
            .where(i.c.legal_entity == legal_entity, i.c.id == invoice_id)
            .values(open_minor=open_amount.minor)
        )

    def open_invoices(self, customer_id: int) -> list[tuple[date, Money]]:
        i = t.invoices
        rows = self.conn.execute(
            select(i.c.due_date, i.c.open_minor, i.c.currency).where(
                i.c.customer_id == customer_id, i.c.open_minor != 0
            )
        ).all()
        return [(row[0], Money.from_minor(row[1], currency(row[2]))) for row in rows]

    def overdue(self, customer_id: int, as_of: date) -> tuple[list[Money], date | None]:
        """Open invoices past due on ``as_of``: their sums per currency and the oldest due
        date. Reads only the customer's open, past-due invoices (partial index)."""
        rows = _OVERDUE.all(self.conn, {"customer_id": customer_id, "as_of": as_of})
        amounts = [Money.from_minor(int(row[1]), currency(row[0])) for row in rows]
        oldest = min((_to_date(row[2]) for row in rows), default=None)
        return amounts, oldest

    def oldest_overdue(self, customer_id: int, as_of: date) -> date | None:
        """The due date of the customer's oldest open, past-due invoice on ``as_of``."""
        params = {"customer_id": customer_id, "as_of": as_of}
        oldest: date | None = _to_date(_OLDEST_OVERDUE.scalar(self.conn, params))
        return oldest

    def payment(self, legal_entity: str, payment_id: str) -> StoredDocument | None:
        p = t.payments
        row = self.conn.execute(
            select(p.c.customer_id, p.c.body_hash).where(
                p.c.legal_entity == legal_entity, p.c.id == payment_id
            )
        ).first()
        return StoredDocument(legal_entity, payment_id, row[0], row[1]) if row else None

    def add_payment(
        self,
        legal_entity: str,
        payment_id: str,
        customer_id: int,
        amount: Money,
        on: date,
        body_hash: str,
        applications: Sequence[tuple[str, Money]],
        at: datetime,
    ) -> None:
        self.conn.execute(
            insert(t.payments).values(
                legal_entity=legal_entity,
                id=payment_id,
                customer_id=customer_id,
                amount_minor=amount.minor,
                currency=amount.currency.code,
                date=on,
                body_hash=body_hash,
                created_at=at,
            )
        )
        if applications:
            self.conn.execute(
                insert(t.payment_applications),
                [
                    {
                        "legal_entity": legal_entity,
                        "payment_id": payment_id,
                        "invoice_id": invoice_id,
                        "amount_minor": applied.minor,
                        "currency": applied.currency.code,
                        "date": on,
                    }
                    for invoice_id, applied in applications
                ],
            )

    def packing_slip(self, legal_entity: str, slip_id: str) -> StoredDocument | None:
        s = t.packing_slips
        row = self.conn.execute(
            select(s.c.sales_order, s.c.body_hash).where(
                s.c.legal_entity == legal_entity, s.c.id == slip_id
            )
        ).first()
        return StoredDocument(legal_entity, slip_id, 0, row[1]) if row else None

    def add_packing_slip(
        self,
        legal_entity: str,
        slip_id: str,
        sales_order: str,
        amount: Money,
        on: date,
        body_hash: str,
        at: datetime,
    ) -> None:
        self.conn.execute(
            insert(t.packing_slips).values(
                legal_entity=legal_entity,
                id=slip_id,
                sales_order=sales_order,
                amount_minor=amount.minor,
                currency=amount.currency.code,
                date=on,
                body_hash=body_hash,
                created_at=at,
            )
        )

    def recompute_exposure(self, customer_id: int) -> list[ExposureBucket]:
        """Exposure summed from the documents themselves (for drift checks and tests)."""
        totals: dict[str, list[int]] = {}

        def add(code: str, index: int, amount: int) -> None:
            totals.setdefault(code, [0, 0, 0])[index] += amount

        i = t.invoices
        signed = case((i.c.kind == "invoice", i.c.amount_minor), else_=-i.c.amount_minor)
        for code, amount in self.conn.execute(
            select(i.c.currency, func.sum(signed))
            .where(i.c.customer_id == customer_id)
            .group_by(i.c.currency)
        ).all():
            add(code, 0, int(amount))
        p = t.payments
        for code, amount in self.conn.execute(
            select(p.c.currency, func.sum(p.c.amount_minor))
            .where(p.c.customer_id == customer_id)
            .group_by(p.c.currency)
        ).all():
            add(code, 0, -int(amount))
        o = t.sales_orders
        for code, packed, amount in self.conn.execute(
            select(o.c.currency, func.sum(o.c.packed_minor), func.sum(o.c.amount_minor))
            .where(o.c.customer_id == customer_id, o.c.status == "open")
            .group_by(o.c.currency)
        ).all():
            add(code, 1, int(packed))
            add(code, 2, int(amount))
        return [
            ExposureBucket(currency(code), values[0], values[1], values[2])
            for code, values in sorted(totals.items())
        ]


# --- sales orders -------------------------------------------------------------------------------


def _order_values(order: SalesOrder) -> dict[str, Any]:
    return {
        "customer_id": order.customer_id,
        "amount_minor": order.amount.minor,
        "currency": order.amount.currency.code,
        "packed_minor": order.packed.minor,
        "payment_terms": order.payment_terms,
        "settlement_discount": order.settlement_discount,
        "status": order.status,
        "exclude": order.exclude,
        "intercompany": order.intercompany,
        "released_at": order.released_at,
        "released_amount_minor": _minor(order.released_amount),
        "released_checkpoint": order.released_checkpoint,
        "released_with_posting": order.released_with_posting,
        "grace_until": order.grace_until,
        "rejected_at": order.rejected_at,
        "body_hash": order.body_hash,
        "version": order.version,
    }


_ORDER_COLUMNS = _Columns(
    t.sales_orders,
    [c.name for c in t.sales_orders.c if c.name not in ("created_at", "updated_at")],
)
_ORDER_GET = _Sql(
    f"SELECT {_ORDER_COLUMNS.sql} FROM sales_orders WHERE legal_entity = :legal_entity AND id = :id"
)


class SqlSalesOrderRepository(_Repo):
    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        # the same reasoning as for customers: on SQLite one unit of work sees one state
        self._seen: dict[tuple[str, str], SalesOrder] | None = {} if _is_sqlite(conn) else None

    def get(self, legal_entity: str, order_id: str) -> SalesOrder | None:
        key = (legal_entity, order_id)
        if self._seen is not None:
            seen = self._seen.get(key)
            if seen is not None:
                return seen
        sqlite = self._seen is not None
        raw = _ORDER_GET.first(self.conn, {"legal_entity": legal_entity, "id": order_id})
        if raw is None:
            return None
        order = _sales_order(_ORDER_COLUMNS.row(raw, sqlite))
        if self._seen is not None:
            self._seen[key] = order
        return order

    def add(self, order: SalesOrder, at: datetime) -> None:
        if self._seen is not None:
            self._seen.pop((order.legal_entity, order.id), None)
        self.conn.execute(
            insert(t.sales_orders).values(
                legal_entity=order.legal_entity,
                id=order.id,
                created_at=at,
                updated_at=at,
                **_order_values(order),
            )
        )

    def update(self, order: SalesOrder, at: datetime) -> None:
        if self._seen is not None:
            self._seen.pop((order.legal_entity, order.id), None)
        o = t.sales_orders
        self.conn.execute(
            update(o)
            .where(o.c.legal_entity == order.legal_entity, o.c.id == order.id)
            .values(updated_at=at, **_order_values(order))
        )


def _sales_order(row: Mapping[Any, Any]) -> SalesOrder:
    cur = currency(row["currency"])
    return SalesOrder(
        legal_entity=row["legal_entity"],
        id=row["id"],
        customer_id=row["customer_id"],
        amount=Money.from_minor(row["amount_minor"], cur),
        packed=Money.from_minor(row["packed_minor"], cur),
        payment_terms=row["payment_terms"],
        settlement_discount=row["settlement_discount"],
        status=row["status"],
        exclude=row["exclude"],
        body_hash=row["body_hash"],
        version=row["version"],
        released_at=row["released_at"],
        released_amount=_money(row["released_amount_minor"], row["currency"]),
        released_checkpoint=row["released_checkpoint"],
        released_with_posting=row["released_with_posting"],
        grace_until=row["grace_until"],
        rejected_at=_utc(row["rejected_at"]),
        intercompany=row["intercompany"],
    )


# --- decisions and holds ------------------------------------------------------------------------


# The writes of every credit check, prebuilt like the reads above (values stored as
# SQLAlchemy's types store them, see ``_sqlite_param``).
_INSERT_CHECK = _insert_sql(t.credit_checks)
_INSERT_HOLD = _insert_sql(t.credit_holds)
_INSERT_HOLD_HISTORY = _insert_sql(t.hold_history)


class SqlDecisionRepository(_Repo):
    def add(
        self,
        check_id: str,
        legal_entity: str,
        sales_order: str,
        customer: str,
        checkpoint: str,
        posting: bool,
        as_of: date,
        decision: str,
        hold_id: str | None,
        body: dict[str, Any],
        checked_at: datetime,
    ) -> None:
        _INSERT_CHECK.execute(
            self.conn,
            {
                "id": check_id,
                "legal_entity": legal_entity,
                "sales_order": sales_order,
                "customer": customer,
                "checkpoint": checkpoint,
                "posting": posting,
                "as_of": as_of,
                "decision": decision,
                "hold_id": hold_id,
                "body": body,
                "checked_at": checked_at,
            },
        )

    def get(self, check_id: str) -> dict[str, Any] | None:
        c = t.credit_checks
        body = self.conn.execute(select(c.c.body).where(c.c.id == check_id)).scalar()
        return dict(body) if body is not None else None

    def for_customer(self, legal_entity: str, customer: str, limit: int) -> list[dict[str, Any]]:
        c = t.credit_checks
        rows = (
            self.conn.execute(
                select(c.c.body)
                .where(c.c.legal_entity == legal_entity, c.c.customer == customer)
                .order_by(c.c.checked_at.desc(), c.c.id.desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
        return [dict(row) for row in rows]


def _reason_json(item: HoldReason) -> dict[str, Any]:
    return serialize.reason(item.reason, item.valid)


def _hold_reason(data: dict[str, Any]) -> HoldReason:
    reason = Reason(
        ReasonCode(data["code"]),
        data["message"],
        LimitScope(data["scope"]) if data.get("scope") else None,
        dict(data.get("details") or {}),
        data.get("rule_id"),
    )
    return HoldReason(reason, bool(data.get("valid", True)))


def _hold(row: Mapping[Any, Any]) -> Hold:
    created = _utc(row["created_at"])
    assert created is not None
    return Hold(
        id=row["id"],
        legal_entity=row["legal_entity"],
        sales_order=row["sales_order"],
        customer=row["customer"],
        checkpoint=Checkpoint(row["checkpoint"]),
        posting=row["posting"],
        check_id=row["check_id"],
        reasons=tuple(_hold_reason(r) for r in row["reasons"]),
        created_at=created,
        status=HoldStatus(row["status"]),
        closed_at=_utc(row["closed_at"]),
        closed_by=row["closed_by"],
        release_reason=row["release_reason"],
        review_date=row["review_date"],
        with_posting=row["with_posting"],
        reject_reason=row["reject_reason"],
        note=row["note"],
        ready_to_release=row["ready_to_release"],
        evaluated_at=_utc(row["evaluated_at"]),
    )


_HOLD_COLUMNS = _Columns(t.credit_holds)
_HOLD_GET = _Sql(f"SELECT {_HOLD_COLUMNS.sql} FROM credit_holds WHERE id = :id")
_OPEN_HOLD = _Sql(
    "SELECT id FROM credit_holds WHERE legal_entity = :legal_entity "
    "AND sales_order = :sales_order AND status = :status"
)


class SqlHoldRepository(_Repo):
    def _values(self, hold: Hold) -> dict[str, Any]:
        return {
            "legal_entity": hold.legal_entity,
            "sales_order": hold.sales_order,
            "customer": hold.customer,
            "checkpoint": hold.checkpoint.value,
            "posting": hold.posting,
            "check_id": hold.check_id,
            "status": hold.status.value,
            "reasons": [_reason_json(r) for r in hold.reasons],
            "reason_codes": "," + ",".join(hold.reason_codes) + ",",
            "ready_to_release": hold.ready_to_release,
            "evaluated_at": hold.evaluated_at,
            "created_at": hold.created_at,
            "closed_at": hold.closed_at,
            "closed_by": hold.closed_by,
            "release_reason": hold.release_reason,
            "review_date": hold.review_date,
            "with_posting": hold.with_posting,
            "reject_reason": hold.reject_reason,
            "note": hold.note,
        }

    def add(self, hold: Hold) -> None:
        _INSERT_HOLD.execute(self.conn, {"id": hold.id, **self._values(hold)})

    def update(self, hold: Hold) -> None:
        h = t.credit_holds
        self.conn.execute(update(h).where(h.c.id == hold.id).values(**self._values(hold)))

    def get(self, hold_id: str) -> Hold | None:
        raw = _HOLD_GET.first(self.conn, {"id": hold_id})
        return _hold(_HOLD_COLUMNS.row(raw, _is_sqlite(self.conn))) if raw is not None else None

    def open_for_order(self, legal_entity: str, sales_order: str) -> Hold | None:
        # most checked orders have no open hold: an index probe, the full row only on a hit
        hold_id = _OPEN_HOLD.scalar(
            self.conn,
            {
                "legal_entity": legal_entity,
                "sales_order": sales_order,
                "status": HoldStatus.ON_HOLD.value,
            },
        )
        return self.get(hold_id) if hold_id is not None else None

    def find(self, where: HoldFilter) -> list[Hold]:
        h = t.credit_holds
        query = select(h)
        if where.status is not None:
            query = query.where(h.c.status == where.status)
        if where.legal_entities is not None:
            query = query.where(h.c.legal_entity.in_(where.legal_entities))
        if where.customer is not None:
            query = query.where(h.c.customer == where.customer)
        if where.sales_order is not None:
            query = query.where(h.c.sales_order == where.sales_order)
        if where.reason is not None:
            query = query.where(h.c.reason_codes.contains(f",{where.reason},", autoescape=True))
        if where.checkpoint is not None:
            query = query.where(h.c.checkpoint == where.checkpoint)
        if where.created_from is not None:
            query = query.where(h.c.created_at >= _day_start(where.created_from))
        if where.created_to is not None:
            query = query.where(h.c.created_at < _day_start(where.created_to + timedelta(days=1)))
        if where.ready_to_release is not None:
            query = query.where(h.c.ready_to_release == where.ready_to_release)
        if where.after_id is not None:
            query = query.where(h.c.id > where.after_id)
        rows = self.conn.execute(query.order_by(h.c.id).limit(where.limit)).mappings().all()
        return [_hold(row) for row in rows]

    def add_history(
        self, hold_id: str, at: datetime, actor: str, action: str, data: dict[str, Any]
    ) -> None:
        _INSERT_HOLD_HISTORY.execute(
            self.conn,
            {"hold_id": hold_id, "at": at, "actor": actor, "action": action, "data": data},
        )

    def history(self, hold_id: str) -> list[dict[str, Any]]:
        h = t.hold_history
        rows = (
            self.conn.execute(select(h).where(h.c.hold_id == hold_id).order_by(h.c.id))
            .mappings()
            .all()
        )
        return [
            {
                "at": serialize.plain(_utc(row["at"])),
                "actor": row["actor"],
                "action": row["action"],
                "data": row["data"],
            }
            for row in rows
        ]


# --- setup --------------------------------------------------------------------------------------


def _rule(row: Mapping[Any, Any]) -> BlockingRule:
    return BlockingRule(
        id=row["id"],
        rule=RuleType(row["rule"]),
        kind=RuleKind(row["kind"]),
        valid_for=ValidFor(row["valid_for"]),
        account_or_group=row["account_or_group"],
        risk_group=row["risk_group"],
        value_type=ValueType(row["value_type"]) if row["value_type"] else None,
        value=Decimal(row["value"]) if row["value"] is not None else None,
        credit_limit_threshold=Decimal(row["credit_limit_threshold"])
        if row["credit_limit_threshold"] is not None
        else None,
        account_status=row["account_status"],
        terms_of_payment=row["terms_of_payment"],
        release_sales_order=row["release_sales_order"],
    )


class SqlSetupRepository(_Repo):
    def rules(self, legal_entity: str) -> list[BlockingRule]:
        r = t.blocking_rules
        rows = (
            self.conn.execute(select(r).where(r.c.legal_entity == legal_entity).order_by(r.c.id))
            .mappings()
            .all()
        )
        return [_rule(row) for row in rows]

    def add_rule(self, legal_entity: str, rule: BlockingRule, at: datetime) -> None:
        self.conn.execute(
            insert(t.blocking_rules).values(
                id=rule.id,
                legal_entity=legal_entity,
                rule=rule.rule.value,
                kind=rule.kind.value,
                valid_for=rule.valid_for.value,
                account_or_group=rule.account_or_group,
                risk_group=rule.risk_group,
                value_type=rule.value_type.value if rule.value_type else None,
                value=str(rule.value) if rule.value is not None else None,
                credit_limit_threshold=str(rule.credit_limit_threshold)
                if rule.credit_limit_threshold is not None
                else None,
                account_status=rule.account_status,
                terms_of_payment=rule.terms_of_payment,
                release_sales_order=rule.release_sales_order,
                created_at=at,
            )
        )

    def delete_rule(self, legal_entity: str, rule_id: str) -> bool:
        r = t.blocking_rules
        done = self.conn.execute(
            delete(r).where(r.c.legal_entity == legal_entity, r.c.id == rule_id)
        )
        return bool(done.rowcount)

    def reason(self, legal_entity: str, reason_id: str) -> tuple[str, str] | None:
        r = t.reasons
        row = self.conn.execute(
            select(r.c.type, r.c.description).where(
                r.c.legal_entity == legal_entity, r.c.id == reason_id
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    def put_reason(self, legal_entity: str, reason_id: str, type: str, description: str) -> None:
        r = t.reasons
        done = self.conn.execute(
            update(r)
            .where(r.c.legal_entity == legal_entity, r.c.id == reason_id)
            .values(type=type, description=description)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(r).values(
                    legal_entity=legal_entity, id=reason_id, type=type, description=description
                )
            )

    def reasons(self, legal_entity: str) -> list[tuple[str, str, str]]:
        r = t.reasons
        rows = self.conn.execute(
            select(r.c.id, r.c.type, r.c.description)
            .where(r.c.legal_entity == legal_entity)
            .order_by(r.c.id)
        ).all()
        return [(a, b, c) for a, b, c in rows]

    def account_status(self, legal_entity: str, status_id: str) -> tuple[str, str] | None:
        s = t.account_statuses
        row = self.conn.execute(
            select(s.c.description, s.c.on_hold).where(
                s.c.legal_entity == legal_entity, s.c.id == status_id
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    def put_account_status(
        self, legal_entity: str, status_id: str, description: str, on_hold: str
    ) -> None:
        s = t.account_statuses
        done = self.conn.execute(
            update(s)
            .where(s.c.legal_entity == legal_entity, s.c.id == status_id)
            .values(description=description, on_hold=on_hold)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(s).values(
                    legal_entity=legal_entity,
                    id=status_id,
                    description=description,
                    on_hold=on_hold,
                )
            )

    def account_statuses(self, legal_entity: str) -> list[tuple[str, str, str]]:
        s = t.account_statuses
        rows = self.conn.execute(
            select(s.c.id, s.c.description, s.c.on_hold)
            .where(s.c.legal_entity == legal_entity)
            .order_by(s.c.id)
        ).all()
        return [(a, b, c) for a, b, c in rows]

    def ranks(self, legal_entity: str, kind: str) -> dict[str, int]:
        r = t.ranks
        rows = self.conn.execute(
            select(r.c.code, r.c.rank).where(r.c.legal_entity == legal_entity, r.c.kind == kind)
        ).all()
        return dict(rows)

    def put_rank(self, legal_entity: str, kind: str, code: str, rank: int) -> None:
        r = t.ranks
        done = self.conn.execute(
            update(r)
            .where(r.c.legal_entity == legal_entity, r.c.kind == kind, r.c.code == code)
            .values(rank=rank)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(r).values(legal_entity=legal_entity, kind=kind, code=code, rank=rank)
            )


# --- tokens and audit ---------------------------------------------------------------------------


def _token(row: Mapping[Any, Any]) -> ApiToken:
    created = _utc(row["created_at"])
    assert created is not None
    scope = row["legal_entities"]
    return ApiToken(
        row["id"],
        row["name"],
        row["role"],
        tuple(scope) if scope is not None else None,
        created,
        _utc(row["revoked_at"]),
        _utc(row["expires_at"]),
        _utc(row["last_used_at"]),
    )


class SqlTokenRepository(_Repo):
    def add(self, token: ApiToken, secret_hash: str) -> None:
        self.conn.execute(
            insert(t.api_tokens).values(
                id=token.id,
                name=token.name,
                role=token.role,
                legal_entities=list(token.legal_entities)
                if token.legal_entities is not None
                else None,
                secret_hash=secret_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )

    def by_hash(self, secret_hash: str) -> ApiToken | None:
        a = t.api_tokens
        row = self.conn.execute(select(a).where(a.c.secret_hash == secret_hash)).mappings().first()
        return _token(row) if row is not None else None

    def all(self) -> list[ApiToken]:
        a = t.api_tokens
        return [_token(row) for row in self.conn.execute(select(a).order_by(a.c.id)).mappings()]

    def revoke(self, token_id: str, at: datetime) -> bool:
        a = t.api_tokens
        done = self.conn.execute(
            update(a).where(a.c.id == token_id, a.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return bool(done.rowcount)

    def revoke_named(self, name: str, at: datetime) -> list[str]:
        a = t.api_tokens
        active = (a.c.name == name, a.c.revoked_at.is_(None))
        ids = [str(i) for i in self.conn.execute(select(a.c.id).where(*active)).scalars()]
        if ids:
            self.conn.execute(update(a).where(a.c.id.in_(ids)).values(revoked_at=at))
        return ids

    def mark_used(self, token_id: str, at: datetime) -> None:
        a = t.api_tokens
        self.conn.execute(update(a).where(a.c.id == token_id).values(last_used_at=at))


class SqlAuditRepository(_Repo):
    def add(
        self, at: datetime, actor: str, action: str, entity: str, key: str, before: Any, after: Any
    ) -> None:
        self.conn.execute(
            insert(t.audit_events).values(
                at=at,
                actor=actor,
                action=action,
                entity=entity,
                key=key,
                before=serialize.plain(before),
                after=serialize.plain(after),
            )
        )

    def find(
        self, entity: str | None, key: str | None, after_id: int | None, limit: int
    ) -> list[AuditEvent]:
        a = t.audit_events
        query = select(a)
        if entity is not None:
            query = query.where(a.c.entity == entity)
        if key is not None:
            query = query.where(a.c.key == key)
        if after_id is not None:
            query = query.where(a.c.id > after_id)
        rows = self.conn.execute(query.order_by(a.c.id).limit(limit)).mappings().all()
        result = []
        for row in rows:
            at = _utc(row["at"])
            assert at is not None
            result.append(
                AuditEvent(
                    row["id"],
                    at,
                    row["actor"],
                    row["action"],
                    row["entity"],
                    row["key"],
                    row["before"],
                    row["after"],
                )
            )
        return result
