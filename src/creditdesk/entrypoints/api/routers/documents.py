"""Documents pushed by the ERP: invoices and credit notes, payments, sales orders, packing
slips. POSTs are idempotent per (legal entity, id): 201 when stored, 200 for the same body."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from creditdesk.entrypoints.api.contract import ContractRoute
from creditdesk.entrypoints.api.dependencies import PrincipalDep, RuntimeDep
from creditdesk.entrypoints.api.read_models import (
    InvoiceRead,
    PackingSlipRead,
    PaymentRead,
    SalesOrderRead,
)
from creditdesk.entrypoints.api.schemas import InvoiceIn, PackingSlipIn, PaymentIn, SalesOrderIn
from creditdesk.service_layer import documents
from creditdesk.service_layer.documents import (
    InvoiceInput,
    PackingSlipInput,
    PaymentInput,
    SalesOrderInput,
)

router = APIRouter(tags=["documents"], route_class=ContractRoute)


def _stored_or_same(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    """The two answers of an idempotent POST (rendered as they are, declared for the document)."""
    return {
        201: {"model": model, "description": "stored"},
        200: {"model": model, "description": "already stored with the same body: unchanged"},
    }


def _stored(result: tuple[dict[str, Any], bool]) -> JSONResponse:
    body, created = result
    return JSONResponse(body, status_code=201 if created else 200)


@router.post(
    "/legal-entities/{le}/invoices",
    status_code=201,
    response_model=None,
    responses=_stored_or_same(InvoiceRead),
)
def create_invoice(le: str, body: InvoiceIn, rt: RuntimeDep, actor: PrincipalDep) -> JSONResponse:
    return _stored(
        documents.post_invoice(
            rt,
            actor,
            le,
            InvoiceInput(
                body.id,
                body.customer,
                body.amount.money,
                body.invoice_date,
                body.due_date,
                body.sales_order,
                body.kind,
            ),
        )
    )


@router.post(
    "/legal-entities/{le}/payments",
    status_code=201,
    response_model=None,
    responses=_stored_or_same(PaymentRead),
)
def create_payment(le: str, body: PaymentIn, rt: RuntimeDep, actor: PrincipalDep) -> JSONResponse:
    return _stored(
        documents.post_payment(
            rt,
            actor,
            le,
            PaymentInput(
                body.id,
                body.customer,
                body.amount.money,
                body.date,
                tuple((a.invoice, a.amount.money) for a in body.applies_to),
            ),
        )
    )


@router.put("/legal-entities/{le}/sales-orders/{order_id}", response_model=SalesOrderRead)
def put_sales_order(
    le: str, order_id: str, body: SalesOrderIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    result, _ = documents.put_sales_order(
        rt,
        actor,
        le,
        SalesOrderInput(
            order_id,
            body.customer,
            body.amount.money,
            body.payment_terms,
            body.settlement_discount,
            body.status,
            body.exclude,
            body.intercompany,
        ),
    )
    return result


@router.get("/legal-entities/{le}/sales-orders/{order_id}", response_model=SalesOrderRead)
def get_sales_order(le: str, order_id: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return documents.get_sales_order(rt, actor, le, order_id)


@router.post(
    "/legal-entities/{le}/packing-slips",
    status_code=201,
    response_model=None,
    responses=_stored_or_same(PackingSlipRead),
)
def create_packing_slip(
    le: str, body: PackingSlipIn, rt: RuntimeDep, actor: PrincipalDep
) -> JSONResponse:
    return _stored(
        documents.post_packing_slip(
            rt, actor, le, PackingSlipInput(body.id, body.sales_order, body.amount.money, body.date)
        )
    )
