"""Use cases for the documents the ERP pushes: invoices and credit notes, payments, sales
orders and packing slips. Each is idempotent by (legal entity, id): the same body again is
answered with the stored document and changes nothing; a different body is a conflict.

Every accepted document updates the running exposure of its customer and of the customer's
credit group in the same transaction (DESIGN "hot path").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from creditdesk.domain.errors import (
    ConflictError,
    CurrencyMismatchError,
    DomainError,
    DuplicateDocumentError,
    InvalidAmountError,
    InvalidDueDateError,
    InvoiceCustomerMismatchError,
    NegativeAmountError,
    OrderClosedError,
    OverappliedPaymentError,
)
from creditdesk.domain.events import EventType
from creditdesk.domain.exposure import ExposureDelta
from creditdesk.domain.holds import Hold
from creditdesk.domain.identifiers import check_id
from creditdesk.domain.money import Money
from creditdesk.service_layer import events, serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.customers import apply_exposure, lock_customer, lock_stored
from creditdesk.service_layer.errors import (
    CustomerNotFoundError,
    SalesOrderNotFoundError,
)
from creditdesk.service_layer.holds import reevaluate_hold
from creditdesk.service_layer.ports import (
    Invoice,
    LegalEntity,
    SalesOrder,
    StoredCustomer,
    UnitOfWork,
    run_with_retries,
)
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity

ORDER_STATUSES = ("open", "cancelled")
INVOICE_KINDS = ("invoice", "credit_note")


def body_hash(body: dict[str, Any]) -> str:
    text = json.dumps(serialize.plain(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _check_id(value: str, what: str) -> None:
    """A document id follows the one id rule (``domain.identifiers``): 422 ``invalid_id``."""
    check_id(value, f"the {what} id")


def _positive(amount: Money, what: str) -> None:
    if amount.is_negative:
        raise NegativeAmountError(f"{what} amount must not be negative", amount=str(amount.amount))
    if amount.is_zero:
        raise InvalidAmountError(f"{what} amount must be more than zero", amount="0")


def _conflict(what: str, legal_entity: str, doc_id: str) -> DuplicateDocumentError:
    return DuplicateDocumentError(
        f"{what} {doc_id} already exists in {legal_entity} with a different body",
        legal_entity=legal_entity,
        id=doc_id,
    )


def _customer_account(uow: UnitOfWork, customer_id: int) -> str:
    stored = uow.customers.get_by_id(customer_id)
    return stored.customer.account if stored is not None else "?"


# --- invoices and credit notes ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceInput:
    id: str
    customer: str
    amount: Money
    invoice_date: date
    due_date: date
    sales_order: str | None = None
    kind: str = "invoice"


def invoice_body(invoice: Invoice, account: str) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "legal_entity": invoice.legal_entity,
        "customer": account,
        "kind": invoice.kind,
        "amount": serialize.money(invoice.amount),
        "open_amount": serialize.money(invoice.open_amount),
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "sales_order": invoice.sales_order,
    }


def post_invoice(
    rt: Runtime, actor: Principal, legal_entity: str, data: InvoiceInput
) -> tuple[dict[str, Any], bool]:
    authorize(actor, Permission.PUSH_DOCUMENTS, legal_entity)
    _check_id(data.id, "invoice")
    if data.kind not in INVOICE_KINDS:
        raise DomainError(f"kind must be one of {', '.join(INVOICE_KINDS)}", kind=data.kind)
    _positive(data.amount, "an invoice")
    if data.due_date < data.invoice_date:
        raise InvalidDueDateError(
            f"due date {data.due_date} is before invoice date {data.invoice_date}"
        )
    digest = body_hash(
        {
            "customer": data.customer,
            "amount": data.amount,
            "invoice_date": data.invoice_date,
            "due_date": data.due_date,
            "sales_order": data.sales_order,
            "kind": data.kind,
        }
    )

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            existing = uow.documents.invoice(legal_entity, data.id)
            if existing is not None:
                if existing.body_hash != digest:
                    raise _conflict("invoice", legal_entity, data.id)
                return invoice_body(existing, _customer_account(uow, existing.customer_id)), False
            stored = lock_customer(uow, legal_entity, data.customer)
            delta = ExposureDelta(
                data.amount.currency,
                balance=data.amount.minor if data.kind == "invoice" else -data.amount.minor,
            )
            if data.sales_order is not None and data.kind == "invoice":
                delta = _invoice_order(uow, rt, stored, data, delta)
            signed = data.amount if data.kind == "invoice" else -data.amount
            invoice = Invoice(
                legal_entity,
                data.id,
                stored.id,
                data.kind,
                data.amount,
                signed,
                data.invoice_date,
                data.due_date,
                data.sales_order,
                digest,
            )
            uow.documents.add_invoice(invoice, rt.clock.now())
            apply_exposure(uow, stored, delta)
            uow.commit()
            return invoice_body(invoice, data.customer), True

    return run_with_retries(work)


def _invoice_order(
    uow: UnitOfWork, rt: Runtime, stored: StoredCustomer, data: InvoiceInput, delta: ExposureDelta
) -> ExposureDelta:
    """Move the invoiced amount of a named order out of packing slips, then open orders."""
    assert data.sales_order is not None
    order = uow.orders.get(stored.customer.legal_entity, data.sales_order)
    if order is None:
        raise SalesOrderNotFoundError(
            f"sales order {data.sales_order} does not exist in {stored.customer.legal_entity}",
            sales_order=data.sales_order,
        )
    if order.customer_id != stored.id:
        raise DomainError(
            f"sales order {data.sales_order} belongs to another customer",
            sales_order=data.sales_order,
        )
    if order.amount.currency != data.amount.currency:
        raise CurrencyMismatchError(
            f"the invoice is in {data.amount.currency}, sales order {order.id} in "
            f"{order.amount.currency}"
        )
    if order.status != "open":
        return delta
    from_packed = min(order.packed, data.amount)
    rest = data.amount - from_packed
    from_open = min(order.amount, rest)
    uow.orders.update(
        replace(
            order,
            packed=order.packed - from_packed,
            amount=order.amount - from_open,
            version=order.version + 1,
        ),
        rt.clock.now(),
    )
    return replace(delta, packing_slips=-from_packed.minor, open_orders=-from_open.minor)


# --- payments ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentInput:
    id: str
    customer: str
    amount: Money
    date: date
    applies_to: tuple[tuple[str, Money], ...] = ()


def check_payment(legal_entity: str, data: PaymentInput) -> dict[str, Any]:
    """Validate a payment and its applications; the body post_payment stores (bulk import
    uses it too)."""
    _check_id(data.id, "payment")
    _positive(data.amount, "a payment")
    applied_total = Money.zero(data.amount.currency)
    seen: set[str] = set()
    for invoice_id, amount in data.applies_to:
        _positive(amount, "an applied")
        if invoice_id in seen:
            raise DomainError(f"invoice {invoice_id} is named twice", invoice=invoice_id)
        seen.add(invoice_id)
        if amount.currency != data.amount.currency:
            raise CurrencyMismatchError(
                f"applied amount for {invoice_id} is in {amount.currency}, the payment in "
                f"{data.amount.currency}"
            )
        applied_total = applied_total + amount
    if applied_total > data.amount:
        raise OverappliedPaymentError(
            f"applied amounts {applied_total} exceed the payment {data.amount}"
        )
    return {
        "id": data.id,
        "legal_entity": legal_entity,
        "customer": data.customer,
        "amount": serialize.money(data.amount),
        "date": data.date.isoformat(),
        "applies_to": [
            {"invoice": inv, "amount": serialize.money(amount)} for inv, amount in data.applies_to
        ],
        "unapplied": serialize.money(data.amount - applied_total),
    }


def post_payment(
    rt: Runtime, actor: Principal, legal_entity: str, data: PaymentInput
) -> tuple[dict[str, Any], bool]:
    """A payment lowers the balance by its whole amount; the applied parts also close the
    named invoices (of the same customer, never past their open amount)."""
    authorize(actor, Permission.PUSH_DOCUMENTS, legal_entity)
    body = check_payment(legal_entity, data)
    digest = body_hash(body)

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            existing = uow.documents.payment(legal_entity, data.id)
            if existing is not None:
                if existing.body_hash != digest:
                    raise _conflict("payment", legal_entity, data.id)
                return body, False
            stored = lock_customer(uow, legal_entity, data.customer)
            for invoice_id, amount in data.applies_to:
                invoice = uow.documents.invoice(legal_entity, invoice_id)
                if invoice is None:
                    from creditdesk.service_layer.errors import InvoiceNotFoundError

                    raise InvoiceNotFoundError(
                        f"invoice {invoice_id} does not exist in {legal_entity}",
                        invoice=invoice_id,
                    )
                if invoice.customer_id != stored.id:
                    raise InvoiceCustomerMismatchError(
                        f"invoice {invoice_id} belongs to another customer, not {data.customer}",
                        invoice=invoice_id,
                    )
                if invoice.kind != "invoice":
                    raise DomainError(f"{invoice_id} is a credit note; payments apply to invoices")
                if invoice.open_amount.currency != amount.currency:
                    raise CurrencyMismatchError(
                        f"invoice {invoice_id} is in {invoice.open_amount.currency}"
                    )
                if amount > invoice.open_amount:
                    raise OverappliedPaymentError(
                        f"{amount} is more than the open {invoice.open_amount} of {invoice_id}",
                        invoice=invoice_id,
                    )
                uow.documents.set_invoice_open(
                    legal_entity, invoice_id, invoice.open_amount - amount
                )
            uow.documents.add_payment(
                legal_entity,
                data.id,
                stored.id,
                data.amount,
                data.date,
                digest,
                data.applies_to,
                rt.clock.now(),
            )
            apply_exposure(
                uow, stored, ExposureDelta(data.amount.currency, balance=-data.amount.minor)
            )
            uow.commit()
            return body, True

    return run_with_retries(work)


# --- sales orders -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SalesOrderInput:
    id: str
    customer: str
    amount: Money
    payment_terms: str | None = None
    settlement_discount: str | None = None
    status: str = "open"
    exclude: bool = False
    intercompany: bool = False


def order_body(order: SalesOrder, account: str) -> dict[str, Any]:
    return {
        "id": order.id,
        "legal_entity": order.legal_entity,
        "customer": account,
        "amount": serialize.money(order.amount),
        "packing_slips": serialize.money(order.packed),
        "payment_terms": order.payment_terms,
        "settlement_discount": order.settlement_discount,
        "status": order.status,
        "exclude": order.exclude,
        "intercompany": order.intercompany,
        "released_on": serialize.plain(order.released_at),
        "grace_until": serialize.plain(order.grace_until),
    }


def _order_delta(before: SalesOrder | None, after: SalesOrder) -> ExposureDelta:
    cur = after.amount.currency
    open_before = before.counted_open.minor if before is not None else 0
    packed_before = before.counted_packed.minor if before is not None else 0
    return ExposureDelta(
        cur,
        open_orders=after.counted_open.minor - open_before,
        packing_slips=after.counted_packed.minor - packed_before,
    )


def put_sales_order(
    rt: Runtime, actor: Principal, legal_entity: str, data: SalesOrderInput
) -> tuple[dict[str, Any], bool]:
    """Create or replace a sales order. ``amount`` is the open (not yet delivered) value
    including tax; a cancelled order leaves exposure and closes its open hold."""
    authorize(actor, Permission.PUSH_DOCUMENTS, legal_entity)
    _check_id(data.id, "sales order")
    if data.amount.is_negative:
        raise NegativeAmountError(
            "a sales order amount must not be negative", amount=str(data.amount.amount)
        )
    if data.status not in ORDER_STATUSES:
        raise DomainError(f"status must be one of {', '.join(ORDER_STATUSES)}", status=data.status)
    hashed: dict[str, Any] = {
        "customer": data.customer,
        "amount": data.amount,
        "payment_terms": data.payment_terms,
        "settlement_discount": data.settlement_discount,
        "status": data.status,
        "exclude": data.exclude,
    }
    if data.intercompany:  # only when set, so orders pushed before the flag keep their hash
        hashed["intercompany"] = True
    digest = body_hash(hashed)

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            before = uow.orders.get(legal_entity, data.id)
            if before is not None and before.body_hash == digest:
                return order_body(before, data.customer), False
            try:
                stored = lock_customer(uow, legal_entity, data.customer)
            except CustomerNotFoundError:
                raise
            now = rt.clock.now()
            if before is None:
                order = SalesOrder(
                    legal_entity,
                    data.id,
                    stored.id,
                    data.amount,
                    Money.zero(data.amount.currency),
                    data.payment_terms,
                    data.settlement_discount,
                    "cancelled" if data.status == "cancelled" else "open",
                    data.exclude,
                    digest,
                    1,
                    intercompany=data.intercompany,
                )
                uow.orders.add(order, now)
            else:
                before = uow.orders.get(legal_entity, data.id)  # re-read under the lock
                assert before is not None
                if before.customer_id != stored.id:
                    raise ConflictError(
                        f"sales order {data.id} belongs to another customer", sales_order=data.id
                    )
                if before.status == "cancelled":
                    raise OrderClosedError(f"sales order {data.id} is cancelled")
                if before.amount.currency != data.amount.currency:
                    raise ConflictError(
                        f"sales order {data.id} is in {before.amount.currency}; its currency "
                        "cannot change",
                        sales_order=data.id,
                    )
                status = "cancelled" if data.status == "cancelled" else "open"
                order = replace(
                    before,
                    amount=data.amount,
                    payment_terms=data.payment_terms,
                    settlement_discount=data.settlement_discount,
                    status=status,
                    exclude=data.exclude,
                    intercompany=data.intercompany,
                    body_hash=digest,
                    version=before.version + 1,
                )
                uow.orders.update(order, now)
                if status == "cancelled":
                    _close_hold_of_cancelled(
                        uow, rt, entity.parameters.release_reason_cancel, order, actor
                    )
            apply_exposure(uow, stored, _order_delta(before, order))
            if before is not None and order.status == "open":
                _reevaluate_modified(uow, rt, actor, entity, stored, order)
            uow.commit()
            return order_body(order, data.customer), before is None

    return run_with_retries(work)


def _reevaluate_modified(
    uow: UnitOfWork,
    rt: Runtime,
    actor: Principal,
    entity: LegalEntity,
    stored: StoredCustomer,
    order: SalesOrder,
) -> None:
    """A held order that is changed is re-evaluated at once with every rule (A-09): released
    with the legal entity's "modified orders" reason when nothing blocks any more, otherwise
    its reasons are brought up to date. When the evaluation cannot run (an exchange rate is
    missing, say) the change is still accepted and the hold stays as it was."""
    hold = uow.holds.open_for_order(order.legal_entity, order.id)
    if hold is None:
        return
    order = uow.orders.get(order.legal_entity, order.id) or order
    try:
        reevaluate_hold(
            uow,
            rt,
            actor.name,
            entity,
            stored,
            hold,
            order,
            release_reason=entity.parameters.release_reason_modified,
            cause="sales order modified",
        )
    except DomainError as error:
        uow.holds.add_history(
            hold.id,
            rt.clock.now(),
            actor.name,
            "evaluation_failed",
            {"cause": "sales order modified", "code": error.code, "detail": str(error)},
        )


def _close_hold_of_cancelled(
    uow: UnitOfWork, rt: Runtime, reason: str | None, order: SalesOrder, actor: Principal
) -> None:
    hold: Hold | None = uow.holds.open_for_order(order.legal_entity, order.id)
    if hold is None:
        return
    now = rt.clock.now()
    closed = hold.cancel(reason=reason, at=now, by=actor.name)
    uow.holds.update(closed)
    events.record(
        uow, now, EventType.HOLD_CANCELLED, hold.legal_entity, hold.id, serialize.hold(closed)
    )
    uow.holds.add_history(
        hold.id,
        now,
        actor.name,
        "cancelled",
        {"release_reason": reason, "cause": "sales order cancelled"},
    )


def get_sales_order(
    rt: Runtime, actor: Principal, legal_entity: str, order_id: str
) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        order = uow.orders.get(legal_entity, order_id)
        if order is None:
            raise SalesOrderNotFoundError(
                f"sales order {order_id} does not exist in {legal_entity}", sales_order=order_id
            )
        return order_body(order, _customer_account(uow, order.customer_id))


# --- packing slips ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackingSlipInput:
    id: str
    sales_order: str
    amount: Money
    date: date


def check_packing_slip(legal_entity: str, data: PackingSlipInput) -> dict[str, Any]:
    """Validate a packing slip; the body post_packing_slip hashes (also used by bulk import)."""
    _check_id(data.id, "packing slip")
    _positive(data.amount, "a packing slip")
    return {
        "id": data.id,
        "legal_entity": legal_entity,
        "sales_order": data.sales_order,
        "amount": serialize.money(data.amount),
        "date": data.date.isoformat(),
    }


def post_packing_slip(
    rt: Runtime, actor: Principal, legal_entity: str, data: PackingSlipInput
) -> tuple[dict[str, Any], bool]:
    """Delivered value moves from the order's open amount to delivered-not-invoiced."""
    authorize(actor, Permission.PUSH_DOCUMENTS, legal_entity)
    body = check_packing_slip(legal_entity, data)
    digest = body_hash(body)

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            existing = uow.documents.packing_slip(legal_entity, data.id)
            if existing is not None:
                if existing.body_hash != digest:
                    raise _conflict("packing slip", legal_entity, data.id)
                return body, False
            order = uow.orders.get(legal_entity, data.sales_order)
            if order is None:
                raise SalesOrderNotFoundError(
                    f"sales order {data.sales_order} does not exist in {legal_entity}",
                    sales_order=data.sales_order,
                )
            found = uow.customers.get_by_id(order.customer_id)
            assert found is not None
            stored = lock_stored(uow, found)
            order = uow.orders.get(legal_entity, data.sales_order)
            assert order is not None
            if order.amount.currency != data.amount.currency:
                raise CurrencyMismatchError(
                    f"the packing slip is in {data.amount.currency}, the order in "
                    f"{order.amount.currency}"
                )
            if order.status == "cancelled":
                raise OrderClosedError(f"sales order {order.id} is cancelled")
            from_open = min(order.amount, data.amount)
            updated = replace(
                order,
                amount=order.amount - from_open,
                packed=order.packed + data.amount,
                version=order.version + 1,
            )
            now = rt.clock.now()
            uow.orders.update(updated, now)
            uow.documents.add_packing_slip(
                legal_entity, data.id, data.sales_order, data.amount, data.date, digest, now
            )
            apply_exposure(uow, stored, _order_delta(order, updated))
            uow.commit()
            return body, True

    return run_with_retries(work)
