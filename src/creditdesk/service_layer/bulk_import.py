"""Bulk ingestion of documents (onboarding, nightly loads): invoices and credit notes,
payments, sales orders and packing slips, many thousands at a time.

Each row is validated in Python with the rules of ``service_layer.documents`` (the same
validators and body hashes, so a document loaded here is idempotent with the one-by-one API
and the other way round). Rows are then applied per batch, set-based, in one transaction: the
batch's customers are locked group first, then customer (each in key order; on SQLite the
batch's ``BEGIN IMMEDIATE`` serialises writers), the documents already stored are read with
one query per kind, every row is applied to in-memory state, and the batch is written with
one ``executemany`` per table and one upsert of the running totals per (customer, currency)
and (group, legal entity, currency) with the batch's deltas summed. The running totals end
exactly where the one-by-one use cases would have left them.

Parsing has two paths with one meaning. The reference path (``_reference_parse``) builds the
use cases' input dataclasses with ``Money`` values and runs their validators; it defines what
a row means and which error a bad row gets. The fast path (``_fast``) handles the common shape
of a row — text values, a plain decimal amount that fits the currency, an id of printable
characters, dates that parse, amounts the validators accept — with integers in minor units and
the body hash written as the very JSON text ``documents.body_hash`` hashes. It never raises:
any row it is not sure of goes to the reference path, so a rejected row's code and message are
the reference's (``tests/unit/test_bulk_import_parse.py`` compares both paths row by row).

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
from json.encoder import encode_basestring_ascii
from typing import Any, Final, NamedTuple, Protocol

from creditdesk.domain.errors import (
    AmountOutOfRangeError,
    CreditDeskError,
    CurrencyMismatchError,
    DomainError,
    DuplicateDocumentError,
    InvalidDueDateError,
    InvoiceCustomerMismatchError,
    NegativeAmountError,
    OrderClosedError,
    OverappliedPaymentError,
    UnsupportedInBulkError,
)
from creditdesk.domain.identifiers import check_id, is_id
from creditdesk.domain.money import CURRENCIES, MAX_MINOR, Money, check_minor
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


class UnreadableRowError(DomainError):
    """A row the reader could not turn into fields (not UTF-8, not JSON, nested too deeply, a
    CSV field over the size limit): handed in as ``{"_error": "<why>"}``."""

    code = "unreadable_row"


DEFAULT_BATCH = 10_000

Document = InvoiceInput | PaymentInput | SalesOrderInput | PackingSlipInput
ExposureKey = tuple[int, str]  # customer id, currency
GroupExposureKey = tuple[str, str, str]  # credit group, legal entity, currency
Totals = tuple[int, int, int]  # balance, packing slips, open orders (minor units)

# The rows the adapter inserts, as plain tuples in these column orders (no per-row dicts):
NewInvoice = tuple[str, int, str, int, str, int, date, date, str | None, str]
"""id, customer id, kind, amount, currency, open amount, invoice date, due date, sales order,
body hash (amounts in minor units)"""
NewPayment = tuple[str, int, int, str, date, str]
"""id, customer id, amount, currency, date, body hash"""
NewApplication = tuple[str, str, int, str, date]
"""payment id, invoice id, amount, currency, date"""
NewOrder = tuple[str, int, int, str, int, str | None, str | None, str, bool, str, int]
"""id, customer id, open amount, currency, packed amount, payment terms, settlement discount,
status, exclude, body hash, version"""
NewSlip = tuple[str, str, int, str, date, str]
"""id, sales order, amount, currency, date, body hash"""


# --- what the adapter hands back -------------------------------------------------------------


BulkInvoice = tuple[int, str, int, str, str, bool]
"""customer id, kind, open amount (minor units, before the batch), currency, body hash, stored
before the batch (a plain tuple: see "parsed rows" below)"""


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
    def customers(self, legal_entity: str, accounts: Iterable[str]) -> dict[str, int]:
        """Customer ids by account (the accounts that exist)."""
        ...

    def lock(self, customer_ids: Iterable[int]) -> dict[int, str | None]:
        """Lock the customers (and their groups); each customer's credit group."""
        ...

    def totals(
        self, legal_entity: str, customer_ids: Iterable[int], groups: Iterable[str]
    ) -> tuple[dict[ExposureKey, Totals], dict[GroupExposureKey, Totals]]:
        """The stored running totals of the (locked) customers and of their groups in
        ``legal_entity``: what the batch's deltas must stay within the bound with."""
        ...

    def invoices(self, legal_entity: str, ids: Iterable[str]) -> dict[str, BulkInvoice]: ...
    def payments(self, legal_entity: str, ids: Iterable[str]) -> dict[str, str]: ...
    def packing_slips(self, legal_entity: str, ids: Iterable[str]) -> dict[str, str]: ...
    def orders(self, legal_entity: str, ids: Iterable[str]) -> dict[str, BulkOrder]: ...
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


# --- parsed rows --------------------------------------------------------------------------------
#
# A validated row: amounts in integer minor units of ``currency``, the body hash the one-by-one
# use case computes for the same document, and (``document``) that use case's input. Inside
# the import a row is a plain tuple of the same fields (``Record``), and so is the batch's state
# where it can be: the garbage collector stops tracking a tuple of plain values (not an instance
# of a tuple subclass), so the many rows that live through a batch do not make it walk the whole
# heap again and again (those full collections cost more than the parsing itself).


def _money_of(minor: int, code: str) -> Money:
    return Money.from_minor(minor, CURRENCIES[code])


class InvoiceRow(NamedTuple):
    row: int  # 1-based position in the input
    type: str  # invoice or credit_note (the invoice's kind)
    id: str
    customer: str
    minor: int
    currency: str
    invoice_date: date
    due_date: date
    sales_order: str | None
    digest: str

    @property
    def document(self) -> InvoiceInput:
        return InvoiceInput(
            self.id,
            self.customer,
            _money_of(self.minor, self.currency),
            self.invoice_date,
            self.due_date,
            self.sales_order,
            self.type,
        )


class PaymentRow(NamedTuple):
    row: int
    type: str  # payment
    id: str
    customer: str
    minor: int
    currency: str
    date: date
    applies_to: tuple[tuple[str, int], ...]  # (invoice, amount in minor units)
    digest: str

    @property
    def document(self) -> PaymentInput:
        return PaymentInput(
            self.id,
            self.customer,
            _money_of(self.minor, self.currency),
            self.date,
            tuple((inv, _money_of(minor, self.currency)) for inv, minor in self.applies_to),
        )


class OrderRow(NamedTuple):
    row: int
    type: str  # sales_order
    id: str
    customer: str
    minor: int
    currency: str
    payment_terms: str | None
    settlement_discount: str | None
    status: str
    exclude: bool
    digest: str

    @property
    def document(self) -> SalesOrderInput:
        return SalesOrderInput(
            self.id,
            self.customer,
            _money_of(self.minor, self.currency),
            self.payment_terms,
            self.settlement_discount,
            self.status,
            self.exclude,
        )


class SlipRow(NamedTuple):
    row: int
    type: str  # packing_slip
    id: str
    sales_order: str
    minor: int
    currency: str
    date: date
    digest: str

    @property
    def document(self) -> PackingSlipInput:
        return PackingSlipInput(
            self.id, self.sales_order, _money_of(self.minor, self.currency), self.date
        )


Parsed = InvoiceRow | PaymentRow | OrderRow | SlipRow

Record = tuple[Any, ...]
"""A parsed row as a plain tuple, in the field order of its ``Parsed`` class (``row``, ``type``,
``id`` first): what the import keeps for each row of a batch."""

_VIEWS: Final[dict[str, type[Parsed]]] = {
    "invoice": InvoiceRow,
    "credit_note": InvoiceRow,
    "payment": PaymentRow,
    "sales_order": OrderRow,
    "packing_slip": SlipRow,
}


# --- the reference path: the checks of the documents use cases, with their input types --------
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


def _reference_parse(index: int, row: Mapping[str, Any], legal_entity: str) -> Parsed:
    """Validate one row as the single-document use case would (raises a ``DomainError``)."""
    unreadable = row.get("_error")
    if isinstance(unreadable, str):
        raise UnreadableRowError(unreadable)
    kind = _text(row, "type")
    if kind not in DOCUMENT_TYPES:
        raise DomainError(f"type must be one of {', '.join(DOCUMENT_TYPES)}", field="type")
    doc_id = check_id(_text(row, "id", required=False) or "", "the document id")
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
        digest = check_invoice(data)
        return InvoiceRow(
            index,
            kind,
            data.id,
            data.customer,
            data.amount.minor,
            data.amount.currency.code,
            data.invoice_date,
            data.due_date,
            data.sales_order,
            digest,
        )
    if kind == "payment":
        amount = _money(row)
        payment = PaymentInput(
            doc_id,
            _req(row, "customer"),
            amount,
            _date(row, "date"),
            _applications(row, amount.currency.code),
        )
        digest = _digest(check_payment(legal_entity, payment))
        return PaymentRow(
            index,
            kind,
            payment.id,
            payment.customer,
            amount.minor,
            amount.currency.code,
            payment.date,
            tuple((inv, applied.minor) for inv, applied in payment.applies_to),
            digest,
        )
    if kind == "sales_order":
        if _flag(row, "intercompany"):
            raise UnsupportedInBulkError(
                "an intercompany order is pushed one by one (PUT .../sales-orders/{id} with "
                '"intercompany": true), not in a bulk import',
                field="intercompany",
            )
        order = SalesOrderInput(
            doc_id,
            _req(row, "customer"),
            _money(row),
            _text(row, "payment_terms", required=False),
            _text(row, "settlement_discount", required=False),
            _text(row, "status", required=False) or "open",
            _flag(row, "exclude"),
        )
        digest = check_sales_order(order)
        return OrderRow(
            index,
            kind,
            order.id,
            order.customer,
            order.amount.minor,
            order.amount.currency.code,
            order.payment_terms,
            order.settlement_discount,
            order.status,
            order.exclude,
            digest,
        )
    slip = PackingSlipInput(doc_id, _req(row, "sales_order"), _money(row), _date(row, "date"))
    digest = _digest(check_packing_slip(legal_entity, slip))
    return SlipRow(
        index,
        kind,
        slip.id,
        slip.sales_order,
        slip.amount.minor,
        slip.amount.currency.code,
        slip.date,
        digest,
    )


# --- the fast path: the same rows and hashes without Money objects or json.dumps ----------------
#
# Each function returns None for anything it is not sure of (the reference path then decides).
# A body hash is the SHA-256 of the text ``json.dumps(body, sort_keys=True, separators=(",",
# ":"))`` gives: keys in sorted order written out here, strings through the encoder json.dumps
# uses (``encode_basestring_ascii``), amounts in the canonical form of ``str(Money.amount)``.

_EXPONENT: Final = {code: cur.exponent for code, cur in CURRENCIES.items()}
_SCALE: Final[tuple[int, ...]] = tuple(10**n for n in range(19))
_FLAGS: Final = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_quote = encode_basestring_ascii


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _minor(text: str, exponent: int) -> int | None:
    """``Money.of(text, code).minor`` for an unsigned amount with no more decimals than the
    currency has (``None`` otherwise): the amounts ``[0-9]{1,18}(\\.[0-9]{1,18})?`` of
    ``money._AMOUNT_TEXT`` that need no rounding check."""
    whole, dot, decimals = text.partition(".")
    if not (0 < len(whole) <= 18 and whole.isascii() and whole.isdigit()):
        return None  # (ASCII characters that are digits: 0-9)
    if not dot:
        minor = int(whole) * _SCALE[exponent]
    else:
        places = len(decimals)
        if not (0 < places <= exponent and decimals.isascii() and decimals.isdigit()):
            return None
        minor = int(whole + decimals) * _SCALE[exponent - places]
    return minor if minor <= MAX_MINOR else None  # out of range: the reference path refuses


def _money_json(minor: int, code: str, exponent: int) -> str:
    """``{"amount": str(money.amount), "currency": code}`` as JSON text (``minor`` >= 0): the
    canonical text of an exact amount, e.g. 5 cents as 0.05."""
    if exponent:
        digits = str(minor).rjust(exponent + 1, "0")
        return f'{{"amount":"{digits[:-exponent]}.{digits[-exponent:]}","currency":"{code}"}}'
    return f'{{"amount":"{minor}","currency":"{code}"}}'


def _fast_text(value: object) -> str | None:
    """A required text value, stripped (``None``: missing or not text)."""
    if type(value) is not str:
        return None
    value = value.strip()
    return value or None


def _fast_optional(value: object) -> tuple[str | None] | None:
    """An optional text value, stripped, in a 1-tuple (``None``: not text)."""
    if value is None:
        return (None,)
    if type(value) is not str:
        return None
    return (value.strip() or None,)


def _fast_date(value: object) -> date | None:
    if type(value) is not str:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _fast_amount(row: dict[str, Any]) -> tuple[int, str, int] | None:
    """(minor units, currency code, exponent) of the row's amount."""
    amount = row.get("amount")
    if type(amount) is str:
        cur = row.get("currency")
        if type(cur) is not str:
            return None
        text = amount.strip()
        code = cur.strip().upper()
    elif type(amount) is dict:
        text = str(amount.get("amount"))
        code = str(amount.get("currency", "")).upper()
    else:
        return None
    exponent = _EXPONENT.get(code)
    if exponent is None:
        return None
    minor = _minor(text, exponent)
    if minor is None:
        return None
    return minor, code, exponent


def _fast_invoice(index: int, kind: str, doc_id: str, row: dict[str, Any]) -> Record | None:
    customer = _fast_text(row.get("customer"))
    money = _fast_amount(row)
    invoice_date = _fast_date(row.get("invoice_date"))
    due_date = _fast_date(row.get("due_date"))
    order = _fast_optional(row.get("sales_order"))
    if (
        customer is None
        or money is None
        or invoice_date is None
        or due_date is None
        or order is None
        or due_date < invoice_date
    ):
        return None
    minor, code, exponent = money
    if minor == 0:
        return None
    sales_order = order[0]
    digest = _sha(
        f'{{"amount":{_money_json(minor, code, exponent)},"customer":{_quote(customer)},'
        f'"due_date":"{due_date.isoformat()}","invoice_date":"{invoice_date.isoformat()}",'
        f'"kind":"{kind}","sales_order":'
        f"{'null' if sales_order is None else _quote(sales_order)}}}"
    )
    return (index, kind, doc_id, customer, minor, code, invoice_date, due_date, sales_order, digest)


def _fast_applications(value: object, code: str, exponent: int) -> list[tuple[str, int]] | None:
    items: list[tuple[str, int]] = []
    if value is None or value == "":
        return items
    if type(value) is str:
        for part in value.split(";"):
            invoice, sep, text = part.strip().partition(":")
            invoice = invoice.strip()
            minor = _minor(text.strip(), exponent)
            if not sep or not invoice or minor is None:
                return None
            items.append((invoice, minor))
        return items
    if type(value) is not list:
        return None
    for item in value:
        if type(item) is not dict:
            return None
        named = item.get("invoice")
        applied = item.get("amount")
        if type(named) is not str:
            return None
        if type(applied) is str:
            text = applied
        elif type(applied) is dict:
            if str(applied.get("currency", "")).upper() != code:
                return None
            text = str(applied.get("amount"))
        else:
            return None
        minor = _minor(text, exponent)
        if minor is None:
            return None
        items.append((named, minor))
    return items


def _fast_payment(index: int, doc_id: str, row: dict[str, Any], le_json: str) -> Record | None:
    customer = _fast_text(row.get("customer"))
    money = _fast_amount(row)
    paid_on = _fast_date(row.get("date"))
    if customer is None or money is None or paid_on is None:
        return None
    minor, code, exponent = money
    items = _fast_applications(row.get("applies_to"), code, exponent)
    if items is None or minor == 0:
        return None
    if len(items) > 1 and len({invoice for invoice, _ in items}) < len(items):
        return None  # an invoice named twice
    applied = 0
    parts: list[str] = []
    for invoice, part in items:
        if part == 0:
            return None
        applied += part
        parts.append(
            f'{{"amount":{_money_json(part, code, exponent)},"invoice":{_quote(invoice)}}}'
        )
    if applied > minor:
        return None
    digest = _sha(
        f'{{"amount":{_money_json(minor, code, exponent)},"applies_to":[{",".join(parts)}],'
        f'"customer":{_quote(customer)},"date":"{paid_on.isoformat()}","id":{_quote(doc_id)},'
        f'"legal_entity":{le_json},"unapplied":{_money_json(minor - applied, code, exponent)}}}'
    )
    return (index, "payment", doc_id, customer, minor, code, paid_on, tuple(items), digest)


def _fast_flag(value: object) -> bool | None:
    if value is None or value == "":
        return False
    if type(value) is bool:
        return value
    if type(value) is str:
        return _FLAGS.get(value.strip().lower())
    return None


def _fast_order(index: int, doc_id: str, row: dict[str, Any]) -> Record | None:
    customer = _fast_text(row.get("customer"))
    money = _fast_amount(row)
    terms = _fast_optional(row.get("payment_terms"))
    discount = _fast_optional(row.get("settlement_discount"))
    status = _fast_optional(row.get("status"))
    exclude = _fast_flag(row.get("exclude"))
    if _fast_flag(row.get("intercompany")) is not False:
        return None  # the reference path refuses it with its reason
    if (
        customer is None
        or money is None
        or terms is None
        or discount is None
        or status is None
        or exclude is None
    ):
        return None
    state = status[0] or "open"
    if state not in ORDER_STATUSES:
        return None
    minor, code, exponent = money
    payment_terms, settlement_discount = terms[0], discount[0]
    digest = _sha(
        f'{{"amount":{_money_json(minor, code, exponent)},"customer":{_quote(customer)},'
        f'"exclude":{"true" if exclude else "false"},"payment_terms":'
        f"{'null' if payment_terms is None else _quote(payment_terms)},"
        f'"settlement_discount":'
        f"{'null' if settlement_discount is None else _quote(settlement_discount)},"
        f'"status":"{state}"}}'
    )
    return (
        index,
        "sales_order",
        doc_id,
        customer,
        minor,
        code,
        payment_terms,
        settlement_discount,
        state,
        exclude,
        digest,
    )


def _fast_slip(index: int, doc_id: str, row: dict[str, Any], le_json: str) -> Record | None:
    order = _fast_text(row.get("sales_order"))
    money = _fast_amount(row)
    packed_on = _fast_date(row.get("date"))
    if order is None or money is None or packed_on is None or money[0] == 0:
        return None
    minor, code, exponent = money
    digest = _sha(
        f'{{"amount":{_money_json(minor, code, exponent)},"date":"{packed_on.isoformat()}",'
        f'"id":{_quote(doc_id)},"legal_entity":{le_json},"sales_order":{_quote(order)}}}'
    )
    return (index, "packing_slip", doc_id, order, minor, code, packed_on, digest)


def _fast(index: int, row: dict[str, Any], le_json: str) -> Record | None:
    """The row parsed the quick way, or ``None`` when the reference path must decide."""
    kind = row.get("type")
    doc_id = row.get("id")
    if type(kind) is not str or type(doc_id) is not str or row.get("_error") is not None:
        return None
    kind = kind.strip()
    doc_id = doc_id.strip()
    if not is_id(doc_id):  # the reference path refuses it with the reason
        return None
    if kind == "invoice" or kind == "credit_note":
        return _fast_invoice(index, kind, doc_id, row)
    if kind == "payment":
        return _fast_payment(index, doc_id, row, le_json)
    if kind == "sales_order":
        return _fast_order(index, doc_id, row)
    if kind == "packing_slip":
        return _fast_slip(index, doc_id, row, le_json)
    return None


def parse(index: int, row: Mapping[str, Any], legal_entity: str) -> Parsed:
    """Validate one row as the single-document use case would (raises a ``DomainError``)."""
    if type(row) is dict:
        record = _fast(index, row, _quote(legal_entity))
        if record is not None:
            return _VIEWS[record[1]](*record)
    return _reference_parse(index, row, legal_entity)


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


_NO_TOTALS: Final[Totals] = (0, 0, 0)


class _Batch:
    """In-memory state of one batch: documents stored before it, those it adds, the summed
    deltas of the running totals."""

    def __init__(
        self,
        legal_entity: str,
        customers: dict[str, int],
        groups: dict[int, str | None],
        invoices: dict[str, BulkInvoice],
        payments: dict[str, str],
        slips: dict[str, str],
        orders: dict[str, BulkOrder],
        stored_totals: tuple[dict[ExposureKey, Totals], dict[GroupExposureKey, Totals]] = (
            {},
            {},
        ),
    ) -> None:
        self.le = legal_entity
        self.stored_customer_totals, self.stored_group_totals = stored_totals
        self.customers = customers
        self.groups = groups
        self.invoices = invoices
        self.payments = payments
        self.slips = slips
        self.orders = orders
        self.open: dict[str, int] = {}  # open amounts of the invoices the batch touches
        self.new_invoices: list[tuple[Record, int]] = []
        self.new_payments: list[NewPayment] = []
        self.applications: list[NewApplication] = []
        self.new_orders: list[tuple[Record, int, BulkOrder]] = []
        self.new_slips: list[NewSlip] = []
        self.invoice_open: dict[str, int] = {}
        self.changed_orders: dict[str, BulkOrder] = {}
        self.customer_totals: dict[ExposureKey, Totals] = {}
        self.group_totals: dict[GroupExposureKey, Totals] = {}

    def customer(self, account: str) -> int:
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

    def fits(self, customer_id: int, cur: str, balance: int, packed: int, open_: int) -> None:
        """Raise ``AmountOutOfRangeError`` (changing nothing) when one document's change would
        take a running total of the customer or of its group past ``MAX_MINOR``: the stored
        total plus the batch's deltas so far plus this change. The batch's summed delta is
        written as one value, so it is kept within the bound too."""
        if not (balance or packed or open_):
            return
        change = (balance, packed, open_)
        key = (customer_id, cur)
        self._within(
            self.stored_customer_totals.get(key), self.customer_totals.get(key), change, cur
        )
        group = self.groups.get(customer_id)
        if group is not None:
            group_key = (group, self.le, cur)
            self._within(
                self.stored_group_totals.get(group_key),
                self.group_totals.get(group_key),
                change,
                cur,
            )

    @staticmethod
    def _within(stored: Totals | None, pending: Totals | None, change: Totals, code: str) -> None:
        """Each of the three totals, and the exposure they add up to in this currency (as the
        adapter of the one-by-one use cases bounds them), stays within ``MAX_MINOR``."""
        b0, b1, b2 = stored or _NO_TOTALS
        p0, p1, p2 = pending or _NO_TOTALS
        c0, c1, c2 = change
        d0, d1, d2 = p0 + c0, p1 + c1, p2 + c2  # the batch's summed deltas, written as one
        t0, t1, t2 = b0 + d0, b1 + d1, b2 + d2  # the totals after this document
        low, high = -MAX_MINOR, MAX_MINOR
        if (
            low <= d0 <= high
            and low <= d1 <= high
            and low <= d2 <= high
            and low <= t0 <= high
            and low <= t1 <= high
            and low <= t2 <= high
            and low <= d0 + d1 + d2 <= high
            and low <= t0 + t1 + t2 <= high
        ):
            return
        raise AmountOutOfRangeError(
            f"this document would take a running {code} exposure total past "
            f"{MAX_MINOR:,} minor units, the most a total can hold",
            currency=code,
        )

    def add(self, customer_id: int, cur: str, balance: int, packed: int, open_: int) -> None:
        """One document's change of the running totals (skipped when zero, as the use
        cases skip it)."""
        if not (balance or packed or open_):
            return
        key = (customer_id, cur)
        totals = self.customer_totals.get(key)
        if totals is not None:
            balance_, packed_, open__ = totals
            self.customer_totals[key] = (balance_ + balance, packed_ + packed, open__ + open_)
        else:
            self.customer_totals[key] = (balance, packed, open_)
        group = self.groups.get(customer_id)
        if group is not None:
            group_key = (group, self.le, cur)
            totals = self.group_totals.get(group_key)
            if totals is not None:
                balance_, packed_, open__ = totals
                self.group_totals[group_key] = (
                    balance_ + balance,
                    packed_ + packed,
                    open__ + open_,
                )
            else:
                self.group_totals[group_key] = (balance, packed, open_)

    def changed(self, order_id: str, order: BulkOrder) -> None:
        if order.stored:
            self.changed_orders[order_id] = order

    # Each method either changes nothing and raises, or applies the whole document.

    def invoice(self, p: Record) -> bool:
        _, kind, doc_id, account, minor, cur, _, _, order_id, digest = p
        existing = self.invoices.get(doc_id)
        if existing is not None:
            if existing[4] != digest:
                raise _conflict("invoice", self.le, doc_id)
            return False
        customer_id = self.customer(account)
        packed = open_ = 0
        consumed: BulkOrder | None = None  # the open order the invoice draws on
        if order_id is not None and kind == "invoice":
            order = self.order(order_id)
            if order.customer_id != customer_id:
                raise DomainError(
                    f"sales order {order_id} belongs to another customer", sales_order=order_id
                )
            if order.currency != cur:
                raise CurrencyMismatchError(
                    f"the invoice is in {cur}, sales order {order_id} in {order.currency}"
                )
            if order.status == "open":
                from_packed = min(order.packed_minor, minor)
                from_open = min(order.amount_minor, minor - from_packed)
                packed, open_ = -from_packed, -from_open
                consumed = order
        signed = minor if kind == "invoice" else -minor
        self.fits(customer_id, cur, signed, packed, open_)
        if consumed is not None and order_id is not None:
            consumed.packed_minor += packed
            consumed.amount_minor += open_
            consumed.version += 1
            self.changed(order_id, consumed)
        self.invoices[doc_id] = (customer_id, kind, signed, cur, digest, False)
        self.open[doc_id] = signed
        self.new_invoices.append((p, customer_id))
        self.add(customer_id, cur, signed, packed, open_)
        return True

    def payment(self, p: Record) -> bool:
        _, _, doc_id, account, paid, cur, paid_on, applies_to, digest = p
        existing = self.payments.get(doc_id)
        if existing is not None:
            if existing != digest:
                raise _conflict("payment", self.le, doc_id)
            return False
        customer_id = self.customer(account)
        after: list[int] = []  # each invoice's open amount after the payment
        for invoice_id, minor in applies_to:
            invoice = self.invoices.get(invoice_id)
            if invoice is None:
                raise InvoiceNotFoundError(
                    f"invoice {invoice_id} does not exist in {self.le}", invoice=invoice_id
                )
            owner, kind, open_before, invoice_cur, _, _ = invoice
            if owner != customer_id:
                raise InvoiceCustomerMismatchError(
                    f"invoice {invoice_id} belongs to another customer, not {account}",
                    invoice=invoice_id,
                )
            if kind != "invoice":
                raise DomainError(f"{invoice_id} is a credit note; payments apply to invoices")
            if invoice_cur != cur:
                raise CurrencyMismatchError(f"invoice {invoice_id} is in {invoice_cur}")
            open_minor = self.open.get(invoice_id, open_before)
            if minor > open_minor:
                currency = CURRENCIES[cur]
                amount = Money.from_minor(minor, currency)
                open_amount = Money.from_minor(open_minor, currency)
                raise OverappliedPaymentError(
                    f"{amount} is more than the open {open_amount} of {invoice_id}",
                    invoice=invoice_id,
                )
            after.append(open_minor - minor)
        self.fits(customer_id, cur, -paid, 0, 0)
        for (invoice_id, minor), open_minor in zip(applies_to, after, strict=True):
            self.open[invoice_id] = open_minor
            if self.invoices[invoice_id][5]:
                self.invoice_open[invoice_id] = open_minor
            self.applications.append((doc_id, invoice_id, minor, cur, paid_on))
        self.payments[doc_id] = digest
        self.new_payments.append((doc_id, customer_id, paid, cur, paid_on, digest))
        self.add(customer_id, cur, -paid, 0, 0)
        return True

    def sales_order(self, p: Record) -> bool | None:
        """True when stored, False when unchanged, None when it changes an existing order
        (that goes through the use case)."""
        doc_id, account, minor, cur, digest = p[2], p[3], p[4], p[5], p[10]
        existing = self.orders.get(doc_id)
        if existing is not None:
            return False if existing.body_hash == digest else None
        customer_id = self.customer(account)
        status = "cancelled" if p[8] == "cancelled" else "open"
        order = BulkOrder(customer_id, minor, 0, cur, status, digest, 1)
        packed, open_ = order.counted
        self.fits(customer_id, cur, 0, packed, open_)
        self.orders[doc_id] = order
        self.new_orders.append((p, customer_id, order))
        self.add(customer_id, cur, 0, packed, open_)
        return True

    def packing_slip(self, p: Record) -> bool:
        _, _, doc_id, order_id, minor, cur, packed_on, digest = p
        existing = self.slips.get(doc_id)
        if existing is not None:
            if existing != digest:
                raise _conflict("packing slip", self.le, doc_id)
            return False
        order = self.order(order_id)
        if order.currency != cur:
            raise CurrencyMismatchError(
                f"the packing slip is in {cur}, the order in {order.currency}"
            )
        if order.status == "cancelled":
            raise OrderClosedError(f"sales order {order_id} is cancelled")
        packed_before, open_before = order.counted
        from_open = min(order.amount_minor, minor)
        check_minor(order.packed_minor + minor, CURRENCIES[cur])  # the order's delivered total
        if order.status == "open":
            self.fits(order.customer_id, cur, 0, minor, -from_open)
        order.amount_minor -= from_open
        order.packed_minor += minor
        order.version += 1
        self.changed(order_id, order)
        packed_after, open_after = order.counted
        self.slips[doc_id] = digest
        self.new_slips.append((doc_id, order_id, minor, cur, packed_on, digest))
        self.add(order.customer_id, cur, 0, packed_after - packed_before, open_after - open_before)
        return True

    def write(self, store: BulkDocumentStore, at: datetime) -> None:
        open_ = self.open
        invoices: list[NewInvoice] = [
            (i, customer_id, k, a, cur, open_[i], d1, d2, so, h)
            for (_, k, i, _, a, cur, d1, d2, so, h), customer_id in self.new_invoices
        ]
        orders: list[NewOrder] = [
            (
                i,
                customer_id,
                order.amount_minor,
                cur,
                order.packed_minor,
                terms,
                discount,
                order.status,
                exclude,
                h,
                order.version,
            )
            for (_, _, i, _, _, cur, terms, discount, _, exclude, h), customer_id, order in (
                self.new_orders
            )
        ]
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
    rt: Runtime, legal_entity: str, rows: Sequence[Record], store: BulkStoreFactory
) -> _Outcome:
    """Apply rows in one transaction, up to the first that needs the use case."""
    accounts: set[str] = set()
    invoice_ids: set[str] = set()
    payment_ids: set[str] = set()
    slip_ids: set[str] = set()
    order_ids: set[str] = set()
    for p in rows:
        kind = p[1]
        if kind == "invoice" or kind == "credit_note":
            accounts.add(p[3])
            invoice_ids.add(p[2])
            if p[8] is not None:
                order_ids.add(p[8])
        elif kind == "payment":
            accounts.add(p[3])
            payment_ids.add(p[2])
            invoice_ids.update(invoice for invoice, _ in p[7])
        elif kind == "sales_order":
            accounts.add(p[3])
            order_ids.add(p[2])
        else:
            slip_ids.add(p[2])
            order_ids.add(p[3])

    with rt.uow() as uow:
        bulk = store(uow)
        customers = bulk.customers(legal_entity, accounts)
        orders = bulk.orders(legal_entity, order_ids)
        invoices = bulk.invoices(legal_entity, invoice_ids)
        ids = set(customers.values())
        ids.update(o.customer_id for o in orders.values())
        ids.update(i[0] for i in invoices.values())
        groups = bulk.lock(ids)
        stored_totals = bulk.totals(
            legal_entity, ids, sorted({g for g in groups.values() if g is not None})
        )
        batch = _Batch(
            legal_entity,
            customers,
            groups,
            invoices,
            bulk.payments(legal_entity, payment_ids),
            bulk.packing_slips(legal_entity, slip_ids),
            orders,
            stored_totals,
        )
        outcome = _Outcome()
        accepted = outcome.accepted
        unchanged = 0
        methods: dict[str, Callable[[Record], bool | None]] = {
            "invoice": batch.invoice,
            "credit_note": batch.invoice,
            "payment": batch.payment,
            "sales_order": batch.sales_order,
            "packing_slip": batch.packing_slip,
        }
        for position, p in enumerate(rows):
            kind = p[1]
            try:
                stored = methods[kind](p)
            except CreditDeskError as error:
                if isinstance(error, RetryableError):
                    raise
                outcome.rejected.append(Rejection(p[0], kind, p[2], error.code, str(error)))
                continue
            if stored:
                accepted[kind] = accepted.get(kind, 0) + 1
            elif stored is None:
                outcome.stop = position
                break
            else:
                unchanged += 1
        outcome.unchanged = unchanged
        batch.write(bulk, rt.clock.now())
        uow.commit()
        return outcome


def _run_batch(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    rows: Sequence[Record],
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
        slow = OrderRow(*pending[outcome.stop])
        try:
            _, created = documents.put_sales_order(rt, actor, legal_entity, slow.document)
        except CreditDeskError as error:
            report.rejected.append(Rejection(slow.row, slow.type, slow.id, error.code, str(error)))
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
    report: ImportReport | None = None,
) -> ImportReport:
    """Validate and store documents in batches; the summary of rows accepted (stored now),
    unchanged (already stored with the same body) and rejected (with the reason).

    A caller that passes ``report`` still has the summary of the batches stored so far when
    something unexpected stops the import (each batch is its own transaction)."""
    authorize(actor, Permission.PUSH_DOCUMENTS, legal_entity)
    store = rt.bulk_documents
    if store is None:
        raise RuntimeError("this runtime has no bulk document writer")
    if batch_size <= 0:
        raise DomainError("the batch size must be positive", batch_size=batch_size)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
    report = report if report is not None else ImportReport()
    began = time.perf_counter()
    le_json = _quote(legal_entity)
    batch: list[Record] = []
    seen = 0
    for index, row in enumerate(rows, 1):
        seen = index
        parsed = _fast(index, row, le_json) if type(row) is dict else None
        if parsed is None:
            if not isinstance(row, Mapping):
                report.rejected.append(
                    Rejection(index, "?", "", "invalid_input", "each row must be an object")
                )
                continue
            try:
                parsed = tuple(_reference_parse(index, row, legal_entity))
            except CreditDeskError as error:
                report.rejected.append(_rejection(index, row, error))
                continue
        batch.append(parsed)
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
