"""``POST /api/v1/legal-entities/{le}/documents:batch``: many documents in one request,
idempotent per id, with a summary of rows accepted, unchanged and rejected."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, m


@pytest.fixture
def fi(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "10000.00 EUR")
    api.customer("FI01", "C200", "10000.00 EUR")
    api.group("G1", "15000.00 EUR")
    api.join("G1", "FI01", "C100")
    return api


DOCUMENTS: list[dict[str, Any]] = [
    {"type": "sales_order", "id": "SO1", "customer": "C100", "amount": m("2000.00 EUR")},
    {
        "type": "invoice",
        "id": "I1",
        "customer": "C100",
        "amount": m("1000.00 EUR"),
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
    },
    {
        "type": "credit_note",
        "id": "CN1",
        "customer": "C100",
        "amount": m("100.00 EUR"),
        "invoice_date": "2026-10-02",
        "due_date": "2026-10-02",
    },
    {
        "type": "packing_slip",
        "id": "PS1",
        "sales_order": "SO1",
        "amount": m("500.00 EUR"),
        "date": "2026-10-05",
    },
    {
        "type": "payment",
        "id": "P1",
        "customer": "C100",
        "amount": m("400.00 EUR"),
        "date": "2026-10-20",
        "applies_to": [{"invoice": "I1", "amount": m("400.00 EUR")}],
    },
    {
        "type": "invoice",
        "id": "I2",
        "customer": "C999",
        "amount": m("1.00 EUR"),
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
    },
]


def batch(api: Api, documents: list[dict[str, Any]], le: str = "FI01") -> Any:
    return api.post(f"/legal-entities/{le}/documents:batch", {"documents": documents})


def test_a_batch_stores_its_documents_and_moves_exposure_like_single_posts(fi: Api) -> None:
    r = batch(fi, DOCUMENTS)

    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["rows"], body["accepted"], body["unchanged"], body["rejected"]) == (6, 5, 0, 1)
    assert body["rejections"][0]["row"] == 6
    assert body["rejections"][0]["code"] == "customer_not_found"
    summary = fi.credit("FI01", "C100", as_of="2026-11-23")
    assert summary["exposure"]["balance"] == m("500.00 EUR")  # 1000 - 100 - 400
    assert summary["exposure"]["packing_slips"] == m("500.00 EUR")
    assert summary["exposure"]["open_orders"] == m("1500.00 EUR")


def test_the_same_batch_again_is_answered_as_unchanged(fi: Api) -> None:
    batch(fi, DOCUMENTS)

    body = batch(fi, DOCUMENTS).json()

    assert (body["accepted"], body["unchanged"], body["rejected"]) == (0, 5, 1)
    summary = fi.credit("FI01", "C100", as_of="2026-11-23")
    assert summary["exposure"]["balance"] == m("500.00 EUR")


def test_a_document_already_posted_alone_is_unchanged_in_a_batch(fi: Api) -> None:
    fi.invoice("FI01", "I1", "C100", "1000.00 EUR", due_date="2026-10-31")

    body = batch(fi, DOCUMENTS[1:2]).json()

    assert (body["accepted"], body["unchanged"]) == (0, 1)


def test_a_batch_for_an_unknown_legal_entity_is_not_found(fi: Api) -> None:
    r = batch(fi, DOCUMENTS, le="XX99")

    assert r.status_code == 404, r.text


def test_a_batch_needs_the_right_to_push_documents(fi: Api) -> None:
    token = fi.post("/tokens", {"name": "viewer", "role": "viewer", "legal_entities": None}).json()[
        "token"
    ]

    r = batch(fi.as_token(token), DOCUMENTS)

    assert r.status_code == 403, r.text


def _rows(count: int, prefix: str = "INV-2026-") -> list[dict[str, Any]]:
    return [
        {
            "type": "invoice",
            "id": f"{prefix}{n:06d}",
            "customer": "C200",
            "amount": m("10.00 EUR"),
            "invoice_date": "2026-10-01",
            "due_date": "2026-10-31",
        }
        for n in range(count)
    ]


def test_a_batch_of_10000_typical_documents_fits_the_body_limit(fi: Api) -> None:
    import json

    documents = _rows(10_000)
    assert len(json.dumps({"documents": documents})) > 1_000_000  # over the other requests'

    response = batch(fi, documents)

    assert response.status_code == 200, response.text[:500]
    assert response.json()["accepted"] == 10_000


def test_more_than_10000_documents_are_refused_whole_and_change_nothing(fi: Api) -> None:
    before = fi.exposure("FI01", "C200")

    response = batch(fi, _rows(10_001))

    assert response.status_code == 422, response.text[:500]
    assert fi.exposure("FI01", "C200") == before


def test_a_batch_body_past_its_own_limit_is_refused_with_413(fi: Api) -> None:
    padding = "x" * 9_000_000
    response = fi.client.post(
        "/api/v1/legal-entities/FI01/documents:batch",
        content=b'{"documents": [], "padding": "' + padding.encode() + b'"}',
        headers={"Authorization": f"Bearer {fi.token}", "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    other = fi.client.post(
        "/api/v1/legal-entities/FI01/invoices",
        content=b'{"padding": "' + b"x" * 1_100_000 + b'"}',
        headers={"Authorization": f"Bearer {fi.token}", "Content-Type": "application/json"},
    )
    assert other.status_code == 413  # the other requests keep their 1 MB
