"""Many documents in one request: the API twin of ``creditdesk import``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from creditdesk.entrypoints.api.contract import ContractRoute
from creditdesk.entrypoints.api.dependencies import PrincipalDep, RuntimeDep
from creditdesk.entrypoints.api.read_models import DocumentBatchRead
from creditdesk.entrypoints.api.schemas import Input
from creditdesk.service_layer import bulk_import

router = APIRouter(tags=["documents"], route_class=ContractRoute)

MAX_DOCUMENTS = 10_000
"""The most documents one request takes; its body may be up to ``max_batch_body_bytes``
(8 MB by default: 10,000 documents of up to 800 bytes), not the 1 MB of other requests."""


class DocumentBatchIn(Input):
    documents: list[dict[str, Any]] = Field(
        max_length=MAX_DOCUMENTS,
        description=(
            "Documents, each with a `type` (invoice, credit_note, payment, sales_order, "
            "packing_slip) and the fields of its single-document endpoint; amounts are "
            '`{"amount": "12.50", "currency": "EUR"}` or `amount` + `currency`.'
        ),
    )


@router.post("/legal-entities/{le}/documents:batch", response_model=DocumentBatchRead)
def import_document_batch(
    le: str, body: DocumentBatchIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    """Store many documents set-based, idempotent per id: how many rows were accepted,
    unchanged (already stored with the same body) and rejected, with each rejection's row,
    code and reason. Accepted rows are stored even when others are rejected."""
    report = bulk_import.import_documents(rt, actor, le, body.documents)
    return report.as_dict()
