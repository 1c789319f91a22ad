"""Idempotent ingestion under concurrency, through the HTTP app: the same document posted by
many clients at the same moment is stored and counted once (one 201, the others 200 with the
stored resource); the same id with different bodies at the same moment stores exactly one of
them and refuses the others with 409.

(Sequential repeats and conflicts are in tests/e2e/test_api_idempotency.py and
test_api_bad_input.py; two racing invoice posts at the unit-of-work level are in
test_unit_of_work.py.)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from httpx2 import Response

from tests.support import Api, m

CLIENTS = 8
DAY = "2026-11-01"


@pytest.fixture
def fi(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "100000.00 EUR")
    api.order("FI01", "SO-1", "C100", "1000.00 EUR")
    api.invoice("FI01", "INV-0", "C100", "500.00 EUR")
    return api


def at_once(calls: list[Callable[[], Response]]) -> list[Response]:
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Response]) -> Response:
        start.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(run, call) for call in calls]]


def bodies(kind: str, variant: int) -> tuple[str, dict[str, Any]]:
    amount = m(f"{100 + variant}.00 EUR")
    if kind == "invoice":
        return "/legal-entities/FI01/invoices", {
            "id": "INV-1",
            "customer": "C100",
            "amount": amount,
            "invoice_date": DAY,
            "due_date": "2026-11-30",
            "sales_order": "SO-1",
        }
    if kind == "payment":
        return "/legal-entities/FI01/payments", {
            "id": "PAY-1",
            "customer": "C100",
            "amount": amount,
            "date": DAY,
            "applies_to": [{"invoice": "INV-0", "amount": m("50.00 EUR")}],
        }
    if kind == "packing_slip":
        return "/legal-entities/FI01/packing-slips", {
            "id": "PS-1",
            "sales_order": "SO-1",
            "amount": amount,
            "date": DAY,
        }
    raise AssertionError(kind)


# what one accepted document of ``100 + variant`` EUR does to the exposure of C100
def expected(kind: str, variant: int) -> dict[str, str]:
    value = 100 + variant
    if kind == "invoice":  # moves the amount from the open order into the balance
        return {
            "balance": f"{500 + value}.00 EUR",
            "packing_slips": "0.00 EUR",
            "open_orders": f"{1000 - value}.00 EUR",
            "total": "1500.00 EUR",
        }
    if kind == "payment":
        return {
            "balance": f"{500 - value}.00 EUR",
            "packing_slips": "0.00 EUR",
            "open_orders": "1000.00 EUR",
            "total": f"{1500 - value}.00 EUR",
        }
    return {  # a packing slip moves the amount from open orders to delivered
        "balance": "500.00 EUR",
        "packing_slips": f"{value}.00 EUR",
        "open_orders": f"{1000 - value}.00 EUR",
        "total": "1500.00 EUR",
    }


KINDS = ["invoice", "payment", "packing_slip"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_document_posted_by_many_clients_at_once_is_counted_once(
    fi: Api, kind: str
) -> None:
    path, body = bodies(kind, 0)

    responses = at_once([lambda: fi.post(path, body) for _ in range(CLIENTS)])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: CLIENTS - 1}, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1  # every answer is the stored document
    assert fi.exposure("FI01", "C100") == expected(kind, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_one_id_posted_with_different_bodies_at_once_stores_exactly_one_of_them(
    fi: Api, kind: str
) -> None:
    sent = [bodies(kind, variant) for variant in range(CLIENTS)]

    responses = at_once([partial(fi.post, path, body) for path, body in sent])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: CLIENTS - 1}, [r.text for r in responses]
    winner = next(v for v, r in enumerate(responses) if r.status_code == 201)
    for response in responses:
        if response.status_code == 409:
            Api.problem(response, 409, "duplicate_document")
    assert fi.exposure("FI01", "C100") == expected(kind, winner)
    again = fi.post(*sent[winner])
    assert again.status_code == 200
    assert again.json() == responses[winner].json()


def test_the_same_sales_order_put_by_many_clients_at_once_is_counted_once(fi: Api) -> None:
    body = {"customer": "C100", "amount": m("300.00 EUR")}

    responses = at_once(
        [lambda: fi.put("/legal-entities/FI01/sales-orders/SO-2", body) for _ in range(CLIENTS)]
    )

    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1
    assert fi.exposure("FI01", "C100")["open_orders"] == "1300.00 EUR"


def test_a_sales_order_put_with_different_amounts_at_once_ends_with_one_of_them(
    fi: Api,
) -> None:
    amounts = [f"{200 + 10 * n}.00" for n in range(CLIENTS)]

    responses = at_once(
        [
            partial(
                fi.put,
                "/legal-entities/FI01/sales-orders/SO-1",
                {"customer": "C100", "amount": m(f"{amount} EUR")},
            )
            for amount in amounts
        ]
    )

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    stored = fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["amount"]["amount"]
    assert stored in amounts
    # a PUT replaces: exposure counts the last stored amount, not the sum of the racers
    assert fi.exposure("FI01", "C100")["open_orders"] == f"{stored} EUR"
