"""Bulk ingestion of documents (onboarding, nightly loads): invoices and credit notes,
payments, sales orders and packing slips, many thousands at a time.

Each row is validated in Python with the rules of ``service_layer.documents`` (the same
input dataclasses, validators and body hashes, so a document loaded here is idempotent
with the one-by-one API and the other way round). Rows are then applied per batch, set-based,
in one transaction: the batch's customers are locked group first, then customer (each in key
order; on SQLite the batch's ``BEGIN IMMEDIATE`` serialises writers), the documents already
stored are read with one query per kind, every row is applied to in-memory state, and the
batch is written with one ``executemany`` per table and one upsert of the running totals
per (customer, currency) and (group, legal entity, currency) with the batch's deltas summed.
The running totals end exactly where the one-by-one use cases would have left them.

A row that changes an existing sales order (a new amount, a cancellation) goes through
``documents.put_sales_order`` (it may close a hold and record events): the batch is written
up to that row, the row runs on its own, and the batch goes on after it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from creditdesk.domain.errors import (
    CreditDeskError,
    CurrencyMismatchError,
    DomainError,
    DuplicateDocumentError,
    InvalidDueDateError,
    InvoiceCustomerMismatchError,
    NegativeAmountError,
    OrderClosedError,
    OverappliedPaymentError,
)
from creditdesk.domain.money import Money
from creditdesk.service_layer import documents
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.documents import (
    INVOICE_KINDS,
    ORDER_STATUSES,
    InvoiceInput,
    PackingSlipInput,
    PaymentInput,
    SalesOrderInput,
    _check_id,
    _positive,
    check_packing_slip,
    check_payment,
)
from creditdesk.service_layer.errors import (
    CustomerNotFoundError,
    InvoiceNotFoundError,
    RetryableError,
    SalesOrderNotFoundError,
)
from creditdesk.service_layer.ports import UnitOfWork, run_with_retries
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity

DOCUMENT_TYPES = ("invoice", "credit_note", "payment", "sales_order", "packing_slip")
DEFAULT_BATCH = 5_000

Document = InvoiceInput | PaymentInput | SalesOrderInput | PackingSlipInput
ExposureKey = tuple[int, str]  # customer id, currency
GroupExposureKey = tuple[str, str, str]  # credit group, legal entity, currency
Totals = list[int]  # balance, packing slips, open orders (minor units)


# --- what the adapter hands back -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkCustomer:
    id: int
    account: str
    credit_group: str | None


@dataclass(slots=True)
class BulkInvoice:
    customer_id: int
    kind: str
    amount_minor: int
    open_minor: int
    currency: str
    body_hash: str


@dataclass(slots=True)
class BulkOrder:
    customer_id: int
    amount_minor: int
    packed_minor: int
    currency: str
    status: str
    body_hash: str
    version: int
    stored: bool = False

    @property
    def counted(self) -> tuple[int, int]:
        """(packing slips, open orders) counted in exposure: only while the order is open."""
        if self.status != "open":
            return 0, 0
        return self.packed_minor, self.amount_minor


class BulkDocumentStore(Protocol):
    def customers(self, legal_entity: str, accounts: Iterable[str]) -> dict[str, BulkCustomer]: ...
    def lock(self, customer_ids: Iterable[int]) -> dict[int, str | None]: ...
    def invoices(self, legal_entity: str, ids: Iterable[str]) -> dict[str, BulkInvoice]: ...
    def payments(self, legal_entity: str, ids: Iterable[str]) -> dict[str, str]: ...
    def packing_slips(self, legal_entity: str, ids: Iterable[str]) -> dict[str, str]: ...
    def orders(self, legal_entity: str, ids: Iterable[str]) -> dict[str, BulkOrder]: ...
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
    ) -> None: ...


BulkStoreFactory = Callable[[UnitOfWork], BulkDocumentStore]


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rejection:
    row: int  # 1-based position in the input
    type: str
    id: str
    code: str
    message: str


@dataclass
class ImportReport:
    accepted: int = 0  # stored now
    unchanged: int = 0  # already stored with the same body (idempotent repeat)
    rejected: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.accepted + self.unchanged + len(self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "accepted_by_type": dict(sorted(self.by_type.items())),
            "rejections": [
                {"row": r.row, "type": r.type, "id": r.id, "code": r.code, "message": r.message}
                for r in self.rejected
            ],
            "seconds": round(self.seconds, 3),
        }


# --- validation: the checks of the documents use cases, before any database work -----------
#
# These mirror the checks at the top of ``documents.post_invoice`` / ``post_payment`` /
# ``put_sales_order`` / ``post_packing_slip`` (built from the same validators and body hash);
# moving them into documents.py as public functions both paths call is proposed to the lead.


def _digest(plain_body: dict[str, Any]) -> str:
    """``documents.body_hash`` of a body that is already JSON-ready (no ``serialize.plain``
    walk: the same text, so the same hash — the integration tests compare them)."""
    text = json.dumps(plain_body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _plain_money(value: Money) -> dict[str, str]:
    return {"amount": str(value.amount), "currency": value.currency.code}


def check_invoice(data: InvoiceInput) -> str:
    """Validate an invoice or credit note; its body hash."""
    _check_id(data.id, "invoice")
    if data.kind not in INVOICE_KINDS:
        raise DomainError(f"kind must be one of {', '.join(INVOICE_KINDS)}", kind=data.kind)
    _positive(data.amount, "an invoice")
    if data.due_date < data.invoice_date:
        raise InvalidDueDateError(
            f"due date {data.due_date} is before invoice date {data.invoice_date}"
        )
    return _digest(
        {
            "customer": data.customer,
            "amount": _plain_money(data.amount),
            "invoice_date": data.invoice_date.isoformat(),
            "due_date": data.due_date.isoformat(),
            "sales_order": data.sales_order,
            "kind": data.kind,
        }
    )


def check_sales_order(data: SalesOrderInput) -> str:
    """Validate a sales order; its body hash."""
    _check_id(data.id, "sales order")
    if data.amount.is_negative:
        raise NegativeAmountError(
            "a sales order amount must not be negative", amount=str(data.amount.amount)
        )
    if data.status not in ORDER_STATUSES:
        raise DomainError(f"status must be one of {', '.join(ORDER_STATUSES)}", status=data.status)
    return _digest(
        {
            "customer": data.customer,
            "amount": _plain_money(data.amount),
            "payment_terms": data.payment_terms,
            "settlement_discount": data.settlement_discount,
            "status": data.status,
            "exclude": data.exclude,
        }
    )


# --- parsing rows ------------------------------------------------------------------------------


def _text(row: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = row.get(key)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise DomainError(f"{key} is required", field=key)
        return None
    if not isinstance(value, str):
        raise DomainError(f"{key} must be text", field=key)
    return value.strip()


def _req(row: Mapping[str, Any], key: str) -> str:
    value = _text(row, key)
    assert value is not None
    return value


def _money(row: Mapping[str, Any], key: str = "amount") -> Money:
    amount = row.get(key)
    if isinstance(amount, Mapping):  # {"amount": "12.50", "currency": "EUR"} as in the API
        return Money.of(str(amount.get("amount")), str(amount.get("currency", "")).upper())
    if isinstance(amount, bool) or not isinstance(amount, str | int):
        raise DomainError(f'{key} must be a decimal string such as "12.50"', field=key)
    return Money.of(str(amount).strip(), _req(row, "currency").upper())


def _date(row: Mapping[str, Any], key: str) -> date:
    text = _req(row, key)
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise DomainError(f"{key} must be a date such as 2026-01-31", field=key) from error


def _flag(row: Mapping[str, Any], key: str) -> bool:
    value = row.get(key)
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise DomainError(f"{key} must be true or false", field=key)


def _applications(row: Mapping[str, Any], cur: str) -> tuple[tuple[str, Money], ...]:
    """``applies_to``: a list of {"invoice", "amount"} (JSON) or ``INV-1:100.00;INV-2:5.00``."""
    value = row.get("applies_to")
    if value is None or value == "":
        return ()
    items: list[tuple[str, Money]] = []
    if isinstance(value, str):
        for part in value.split(";"):
            invoice, sep, amount = part.strip().partition(":")
            if not sep or not invoice.strip():
                raise DomainError("applies_to must look like INV-1:100.00;INV-2:5.00")
            items.append((invoice.strip(), Money.of(amount.strip(), cur)))
        return tuple(items)
    if not isinstance(value, list):
        raise DomainError("applies_to must be a list of {invoice, amount}")
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("invoice"), str):
            raise DomainError("applies_to must be a list of {invoice, amount}")
        applied = item.get("amount")
        if isinstance(applied, Mapping):
            money = Money.of(str(applied.get("amount")), str(applied.get("currency", "")).upper())
        else:
            money = Money.of(str(applied), cur)
        items.append((item["invoice"], money))
    return tuple(items)


@dataclass(frozen=True, slots=True)
class Parsed:
    """One validated row: the document, its body hash and, for payments, the stored body."""

    row: int
    type: str
    document: Document
    digest: str


def parse(index: int, row: Mapping[str, Any], legal_entity: str) -> Parsed:
    """Validate one row as the single-document use case would (raises a ``DomainError``)."""
    unreadable = row.get("_error")
    if isinstance(unreadable, str):
        raise DomainError(unreadable)
    kind = _text(row, "type")
    if kind not in DOCUMENT_TYPES:
        raise DomainError(f"type must be one of {', '.join(DOCUMENT_TYPES)}", field="type")
    doc_id = _req(row, "id")
    if kind in ("invoice", "credit_note"):
        data = InvoiceInput(
            doc_id,
            _req(row, "customer"),
            _money(row),
            _date(row, "invoice_date"),
            _date(row, "due_date"),
            _text(row, "sales_order", required=False),
            kind,
        )
        return Parsed(index, kind, data, check_invoice(data))
    if kind == "payment":
        amount = _money(row)
        payment = PaymentInput(
            doc_id,
            _req(row, "customer"),
            amount,
            _date(row, "date"),
            _applications(row, amount.currency.code),
        )
        return Parsed(index, kind, payment, _digest(check_payment(legal_entity, payment)))
    if kind == "sales_order":
        order = SalesOrderInput(
            doc_id,
            _req(row, "customer"),
            _money(row),
            _text(row, "payment_terms", required=False),
            _text(row, "settlement_discount", required=False),
            _text(row, "status", required=False) or "open",
            _flag(row, "exclude"),
        )
        return Parsed(index, kind, order, check_sales_order(order))
    slip = PackingSlipInput(doc_id, _req(row, "sales_order"), _money(row), _date(row, "date"))
    return Parsed(index, kind, slip, _digest(check_packing_slip(legal_entity, slip)))


def _rejection(index: int, row: Mapping[str, Any], error: CreditDeskError) -> Rejection:
    kind = row.get("type")
    doc_id = row.get("id")
    return Rejection(
        index,
        kind if isinstance(kind, str) else "?",
        doc_id if isinstance(doc_id, str) else "",
        error.code,
        str(error),
    )


# --- applying one batch -----------------------------------------------------------------------


@dataclass
class _Outcome:
    accepted: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    stop: int | None = None  # position of a row that must go through the use case


def _conflict(what: str, legal_entity: str, doc_id: str) -> DuplicateDocumentError:
    return DuplicateDocumentError(
        f"{what} {doc_id} already exists in {legal_entity} with a different body",
        legal_entity=legal_entity,
        id=doc_id,
    )


class _Batch:
    """In-memory state of one batch: documents stored before it, those it adds, the summed
    deltas of the running totals."""

    def __init__(
        self,
        legal_entity: str,
        customers: dict[str, BulkCustomer],
        groups: dict[int, str | None],
        invoices: dict[str, BulkInvoice],
        payments: dict[str, str],
        slips: dict[str, str],
        orders: dict[str, BulkOrder],
    ) -> None:
        self.le = legal_entity
        self.customers = customers
        self.groups = groups
        self.invoices = invoices
        self.payments = payments
        self.slips = slips
        self.orders = orders
        self.new_invoices: dict[str, dict[str, Any]] = {}
        self.new_payments: list[dict[str, Any]] = []
        self.applications: list[dict[str, Any]] = []
        self.new_orders: dict[str, dict[str, Any]] = {}
        self.new_slips: list[dict[str, Any]] = []
        self.invoice_open: dict[str, int] = {}
        self.changed_orders: dict[str, BulkOrder] = {}
        self.customer_totals: dict[ExposureKey, Totals] = {}
        self.group_totals: dict[GroupExposureKey, Totals] = {}

    def customer(self, account: str) -> BulkCustomer:
        found = self.customers.get(account)
        if found is None:
            raise CustomerNotFoundError(
                f"customer {account} does not exist in legal entity {self.le}",
                legal_entity=self.le,
                account=account,
            )
        return found

    def order(self, order_id: str) -> BulkOrder:
        found = self.orders.get(order_id)
        if found is None:
            raise SalesOrderNotFoundError(
                f"sales order {order_id} does not exist in {self.le}", sales_order=order_id
            )
        return found

    def add(self, customer_id: int, cur: str, balance: int, packed: int, open_: int) -> None:
        """One document's change of the running totals (skipped when zero, as the use
        cases skip it)."""
        if not (balance or packed or open_):
            return
        totals = self.customer_totals.setdefault((customer_id, cur), [0, 0, 0])
        totals[0] += balance
        totals[1] += packed
        totals[2] += open_
        group = self.groups.get(customer_id)
        if group is not None:
            group_totals = self.group_totals.setdefault((group, self.le, cur), [0, 0, 0])
            group_totals[0] += balance
            group_totals[1] += packed
            group_totals[2] += open_

    def changed(self, order_id: str, order: BulkOrder) -> None:
        if order.stored:
            self.changed_orders[order_id] = order

    # Each method either changes nothing and raises, or applies the whole document.

    def invoice(self, p: Parsed, data: InvoiceInput) -> bool:
        existing = self.invoices.get(data.id)
        if existing is not None:
            if existing.body_hash != p.digest:
                raise _conflict("invoice", self.le, data.id)
            return False
        cust = self.customer(data.customer)
        minor = data.amount.minor
        cur = data.amount.currency.code
        packed = open_ = 0
        if data.sales_order is not None and data.kind == "invoice":
            order = self.order(data.sales_order)
            if order.customer_id != cust.id:
                raise DomainError(
                    f"sales order {data.sales_order} belongs to another customer",
                    sales_order=data.sales_order,
                )
            if order.currency != cur:
                raise CurrencyMismatchError(
                    f"the invoice is in {cur}, sales order {data.sales_order} in {order.currency}"
                )
            if order.status == "open":
                from_packed = min(order.packed_minor, minor)
                from_open = min(order.amount_minor, minor - from_packed)
                order.packed_minor -= from_packed
                order.amount_minor -= from_open
                order.version += 1
                self.changed(data.sales_order, order)
                packed, open_ = -from_packed, -from_open
        signed = minor if data.kind == "invoice" else -minor
        self.invoices[data.id] = BulkInvoice(cust.id, data.kind, minor, signed, cur, p.digest)
        self.new_invoices[data.id] = {
            "id": data.id,
            "customer_id": cust.id,
            "kind": data.kind,
            "amount_minor": minor,
            "currency": cur,
            "invoice_date": data.invoice_date,
            "due_date": data.due_date,
            "sales_order": data.sales_order,
            "body_hash": p.digest,
        }
        self.add(cust.id, cur, signed, packed, open_)
        return True

    def payment(self, p: Parsed, data: PaymentInput) -> bool:
        existing = self.payments.get(data.id)
        if existing is not None:
            if existing != p.digest:
                raise _conflict("payment", self.le, data.id)
            return False
        cust = self.customer(data.customer)
        cur = data.amount.currency.code
        targets: list[tuple[str, BulkInvoice, int]] = []
        for invoice_id, amount in data.applies_to:
            invoice = self.invoices.get(invoice_id)
            if invoice is None:
                raise InvoiceNotFoundError(
                    f"invoice {invoice_id} does not exist in {self.le}", invoice=invoice_id
                )
            if invoice.customer_id != cust.id:
                raise InvoiceCustomerMismatchError(
                    f"invoice {invoice_id} belongs to another customer, not {data.customer}",
                    invoice=invoice_id,
                )
            if invoice.kind != "invoice":
                raise DomainError(f"{invoice_id} is a credit note; payments apply to invoices")
            if invoice.currency != amount.currency.code:
                raise CurrencyMismatchError(f"invoice {invoice_id} is in {invoice.currency}")
            if amount.minor > invoice.open_minor:
                open_amount = Money.from_minor(invoice.open_minor, amount.currency)
                raise OverappliedPaymentError(
                    f"{amount} is more than the open {open_amount} of {invoice_id}",
                    invoice=invoice_id,
                )
            targets.append((invoice_id, invoice, amount.minor))
        for invoice_id, invoice, minor in targets:
            invoice.open_minor -= minor
            if invoice_id not in self.new_invoices:
                self.invoice_open[invoice_id] = invoice.open_minor
            self.applications.append(
                {
                    "payment_id": data.id,
                    "invoice_id": invoice_id,
                    "amount_minor": minor,
                    "currency": cur,
                    "date": data.date,
                }
            )
        self.payments[data.id] = p.digest
        self.new_payments.append(
            {
                "id": data.id,
                "customer_id": cust.id,
                "amount_minor": data.amount.minor,
                "currency": cur,
                "date": data.date,
                "body_hash": p.digest,
            }
        )
        self.add(cust.id, cur, -data.amount.minor, 0, 0)
        return True

    def sales_order(self, p: Parsed, data: SalesOrderInput) -> bool | None:
        """True when stored, False when unchanged, None when it changes an existing order
        (that goes through the use case)."""
        existing = self.orders.get(data.id)
        if existing is not None:
            return False if existing.body_hash == p.digest else None
        cust = self.customer(data.customer)
        cur = data.amount.currency.code
        status = "cancelled" if data.status == "cancelled" else "open"
        order = BulkOrder(cust.id, data.amount.minor, 0, cur, status, p.digest, 1)
        self.orders[data.id] = order
        self.new_orders[data.id] = {
            "id": data.id,
            "customer_id": cust.id,
            "currency": cur,
            "payment_terms": data.payment_terms,
            "settlement_discount": data.settlement_discount,
            "status": status,
            "exclude": data.exclude,
            "body_hash": p.digest,
        }
        packed, open_ = order.counted
        self.add(cust.id, cur, 0, packed, open_)
        return True

    def packing_slip(self, p: Parsed, data: PackingSlipInput) -> bool:
        existing = self.slips.get(data.id)
        if existing is not None:
            if existing != p.digest:
                raise _conflict("packing slip", self.le, data.id)
            return False
        order = self.order(data.sales_order)
        cur = data.amount.currency.code
        if order.currency != cur:
            raise CurrencyMismatchError(
                f"the packing slip is in {cur}, the order in {order.currency}"
            )
        if order.status == "cancelled":
            raise OrderClosedError(f"sales order {data.sales_order} is cancelled")
        packed_before, open_before = order.counted
        from_open = min(order.amount_minor, data.amount.minor)
        order.amount_minor -= from_open
        order.packed_minor += data.amount.minor
        order.version += 1
        self.changed(data.sales_order, order)
        packed_after, open_after = order.counted
        self.slips[data.id] = p.digest
        self.new_slips.append(
            {
                "id": data.id,
                "sales_order": data.sales_order,
                "amount_minor": data.amount.minor,
                "currency": cur,
                "date": data.date,
                "body_hash": p.digest,
            }
        )
        self.add(order.customer_id, cur, 0, packed_after - packed_before, open_after - open_before)
        return True

    def write(self, store: BulkDocumentStore, at: datetime) -> None:
        invoices = [
            {**row, "open_minor": self.invoices[doc_id].open_minor}
            for doc_id, row in self.new_invoices.items()
        ]
        orders = []
        for doc_id, row in self.new_orders.items():
            order = self.orders[doc_id]
            orders.append(
                {
                    **row,
                    "amount_minor": order.amount_minor,
                    "packed_minor": order.packed_minor,
                    "version": order.version,
                }
            )
        store.write(
            self.le,
            at,
            invoices,
            self.new_payments,
            self.applications,
            orders,
            self.new_slips,
            self.invoice_open,
            self.changed_orders,
            self.customer_totals,
            self.group_totals,
        )


def _apply(
    rt: Runtime, legal_entity: str, rows: Sequence[Parsed], store: BulkStoreFactory
) -> _Outcome:
    """Apply rows in one transaction, up to the first that needs the use case."""
    accounts: set[str] = set()
    invoice_ids: set[str] = set()
    payment_ids: set[str] = set()
    slip_ids: set[str] = set()
    order_ids: set[str] = set()
    for p in rows:
        doc = p.document
        if isinstance(doc, InvoiceInput):
            accounts.add(doc.customer)
            invoice_ids.add(doc.id)
            if doc.sales_order is not None:
                order_ids.add(doc.sales_order)
        elif isinstance(doc, PaymentInput):
            accounts.add(doc.customer)
            payment_ids.add(doc.id)
            invoice_ids.update(invoice for invoice, _ in doc.applies_to)
        elif isinstance(doc, SalesOrderInput):
            accounts.add(doc.customer)
            order_ids.add(doc.id)
        else:
            slip_ids.add(doc.id)
            order_ids.add(doc.sales_order)

    with rt.uow() as uow:
        bulk = store(uow)
        customers = bulk.customers(legal_entity, accounts)
        orders = bulk.orders(legal_entity, order_ids)
        invoices = bulk.invoices(legal_entity, invoice_ids)
        ids = {c.id for c in customers.values()}
        ids.update(o.customer_id for o in orders.values())
        ids.update(i.customer_id for i in invoices.values())
        groups = bulk.lock(ids)
        batch = _Batch(
            legal_entity,
            customers,
            groups,
            invoices,
            bulk.payments(legal_entity, payment_ids),
            bulk.packing_slips(legal_entity, slip_ids),
            orders,
        )
        outcome = _Outcome()
        for position, p in enumerate(rows):
            doc = p.document
            try:
                stored: bool | None
                if isinstance(doc, InvoiceInput):
                    stored = batch.invoice(p, doc)
                elif isinstance(doc, PaymentInput):
                    stored = batch.payment(p, doc)
                elif isinstance(doc, SalesOrderInput):
                    stored = batch.sales_order(p, doc)
                else:
                    stored = batch.packing_slip(p, doc)
            except CreditDeskError as error:
                if isinstance(error, RetryableError):
                    raise
                outcome.rejected.append(Rejection(p.row, p.type, doc.id, error.code, str(error)))
                continue
            if stored is None:
                outcome.stop = position
                break
            if stored:
                outcome.accepted[p.type] = outcome.accepted.get(p.type, 0) + 1
            else:
                outcome.unchanged += 1
        batch.write(bulk, rt.clock.now())
        uow.commit()
        return outcome


def _run_batch(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    rows: Sequence[Parsed],
    store: BulkStoreFactory,
    report: ImportReport,
) -> None:
    pending = list(rows)
    while pending:
        outcome = run_with_retries(functools.partial(_apply, rt, legal_entity, pending, store))
        report.unchanged += outcome.unchanged
        report.rejected.extend(outcome.rejected)
        for kind, count in outcome.accepted.items():
            report.by_type[kind] = report.by_type.get(kind, 0) + count
            report.accepted += count
        if outcome.stop is None:
            return
        slow = pending[outcome.stop]
        assert isinstance(slow.document, SalesOrderInput)
        try:
            _, created = documents.put_sales_order(rt, actor, legal_entity, slow.document)
        except CreditDeskError as error:
            report.rejected.append(
                Rejection(slow.row, slow.type, slow.document.id, error.code, str(error))
            )
        else:
            report.accepted += 1
            report.by_type[slow.type] = report.by_type.get(slow.type, 0) + 1
            del created
        pending = pending[outcome.stop + 1 :]


def import_documents(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    rows: Iterable[Any],
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate and store documents in batches; the summary of rows accepted (stored now),
    unchanged (already stored with the same body) and rejected (with the reason)."""
    authorize(actor, Permission.PUSH_DOCUMENTS, legal_entity)
    store = rt.bulk_documents
    if store is None:
        raise RuntimeError("this runtime has no bulk document writer")
    if batch_size <= 0:
        raise DomainError("the batch size must be positive", batch_size=batch_size)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
    report = ImportReport()
    began = time.perf_counter()
    batch: list[Parsed] = []
    seen = 0
    for index, row in enumerate(rows, 1):
        seen = index
        if not isinstance(row, Mapping):
            report.rejected.append(
                Rejection(index, "?", "", "invalid_input", "each row must be an object")
            )
            continue
        try:
            batch.append(parse(index, row, legal_entity))
        except CreditDeskError as error:
            report.rejected.append(_rejection(index, row, error))
        if len(batch) >= batch_size:
            _run_batch(rt, actor, legal_entity, batch, store, report)
            batch = []
            if progress is not None:
                progress(index)
    if batch:
        _run_batch(rt, actor, legal_entity, batch, store, report)
    if progress is not None:
        progress(seen)
    report.rejected.sort(key=lambda r: r.row)
    report.seconds = time.perf_counter() - began
    return report
