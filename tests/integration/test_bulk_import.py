"""Bulk ingestion (``service_layer.bulk_import``): documents loaded set-based in batches leave
exactly the running totals, open amounts and orders that the one-by-one use cases leave, are
idempotent per id, and rejected rows come back with their reason."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWorkFactory
from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.domain.errors import CreditDeskError
from creditdesk.entrypoints.api.app import create_app
from creditdesk.service_layer import aging_report, bulk_import, documents
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.documents import (
    InvoiceInput,
    PackingSlipInput,
    PaymentInput,
    SalesOrderInput,
)
from creditdesk.service_layer.runtime import Runtime
from tests.support import ADMIN_TOKEN, Api


def _set_up(api: Api) -> None:
    api.legal_entity("FI01", "EUR")
    for account in ("C1", "C2", "C3"):
        api.customer("FI01", account, "100000.00 EUR")
    api.group("G1", "150000.00 EUR")
    api.join("G1", "FI01", "C1")
    api.join("G1", "FI01", "C2")


def _inv(doc_id: str, customer: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": extra.pop("type", "invoice"),
        "id": doc_id,
        "customer": customer,
        "amount": amount,
        "currency": "EUR",
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
        **extra,
    }


ROWS: list[dict[str, Any]] = [
    {"type": "sales_order", "id": "SO1", "customer": "C1", "amount": "5000.00", "currency": "EUR"},
    {"type": "sales_order", "id": "SO2", "customer": "C2", "amount": "700.00", "currency": "EUR"},
    {"type": "sales_order", "id": "SO3", "customer": "C3", "amount": "90.00", "currency": "EUR"},
    {
        "type": "sales_order",
        "id": "SO4",
        "customer": "C3",
        "amount": "10.00",
        "currency": "EUR",
        "status": "cancelled",
    },
    _inv("I1", "C1", "1000.00"),
    _inv("I2", "C1", "250.50", sales_order="SO1"),
    _inv("CN1", "C2", "40.00", type="credit_note"),
    {
        "type": "packing_slip",
        "id": "PS1",
        "sales_order": "SO1",
        "amount": "300.00",
        "currency": "EUR",
        "date": "2026-10-02",
    },
    {
        "type": "packing_slip",
        "id": "PS2",
        "sales_order": "SO2",
        "amount": "900.00",
        "currency": "EUR",
        "date": "2026-10-02",
    },
    _inv("I3", "C1", "400.00", sales_order="SO1"),
    {
        "type": "payment",
        "id": "P1",
        "customer": "C1",
        "amount": "600.00",
        "currency": "EUR",
        "date": "2026-10-15",
        "applies_to": "I1:500.00;I2:50.50",
    },
    {
        "type": "payment",
        "id": "P2",
        "customer": "C2",
        "amount": "15.00",
        "currency": "EUR",
        "date": "2026-10-15",
    },
    _inv("I1", "C1", "1000.00"),  # the same invoice again: unchanged
    _inv("I1", "C1", "1000.01"),  # another body under the same id: rejected
    _inv("I9", "NOPE", "1.00"),  # unknown customer: rejected
    {
        "type": "payment",
        "id": "P3",
        "customer": "C1",
        "amount": "5000.00",
        "currency": "EUR",
        "date": "2026-10-16",
        "applies_to": "I1:5000.00",
    },  # more than open: rejected
    {
        "type": "sales_order",
        "id": "SO3",
        "customer": "C3",
        "amount": "120.00",
        "currency": "EUR",
    },  # changes a stored order: through the use case
    {
        "type": "packing_slip",
        "id": "PS3",
        "sales_order": "SO3",
        "amount": "20.00",
        "currency": "EUR",
        "date": "2026-10-20",
    },
    {
        "type": "sales_order",
        "id": "SO1",
        "customer": "C1",
        "amount": "0.00",
        "currency": "EUR",
        "status": "cancelled",
    },  # cancels: through the use case
    {
        "type": "payment",
        "id": "P4",
        "customer": "C3",
        "amount": "5.00",
        "currency": "EUR",
        "date": "2026-10-21",
    },
    {
        "type": "invoice",
        "id": "I10",
        "customer": "C1",
        "amount": "12.345",
        "currency": "EUR",
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
    },  # finer than cents: rejected
    {"type": "receipt", "id": "R1"},  # unknown type: rejected
    _inv("I11", "C2", "10.00", due_date="2026-09-01"),  # due before invoice date: rejected
]


def _one_by_one(rt: Runtime, rows: list[dict[str, Any]]) -> None:
    """The reference: each row through its single-document use case."""
    for index, row in enumerate(rows, 1):
        try:
            parsed = bulk_import.parse(index, row, "FI01")
        except CreditDeskError:
            continue
        doc = parsed.document
        try:
            if isinstance(doc, InvoiceInput):
                documents.post_invoice(rt, SYSTEM, "FI01", doc)
            elif isinstance(doc, PaymentInput):
                documents.post_payment(rt, SYSTEM, "FI01", doc)
            elif isinstance(doc, SalesOrderInput):
                documents.put_sales_order(rt, SYSTEM, "FI01", doc)
            elif isinstance(doc, PackingSlipInput):
                documents.post_packing_slip(rt, SYSTEM, "FI01", doc)
        except CreditDeskError:
            continue


def _engine(rt: Runtime) -> Engine:
    assert isinstance(rt.uow, SqlAlchemyUnitOfWorkFactory)
    return rt.uow.engine


def _state(rt: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "customer_exposure": "SELECT c.account, e.currency, e.balance_minor, "
        "e.packing_slips_minor, e.open_orders_minor FROM customer_exposure e "
        "JOIN customers c ON c.id = e.customer_id ORDER BY 1, 2",
        "group_exposure": "SELECT credit_group, legal_entity, currency, balance_minor, "
        "packing_slips_minor, open_orders_minor FROM group_exposure ORDER BY 1, 2, 3",
        "invoices": "SELECT id, kind, amount_minor, open_minor, body_hash FROM invoices "
        "ORDER BY id",
        "orders": "SELECT id, amount_minor, packed_minor, status, version, body_hash "
        "FROM sales_orders ORDER BY id",
        "payments": "SELECT id, amount_minor, body_hash FROM payments ORDER BY id",
        "applications": "SELECT payment_id, invoice_id, amount_minor FROM "
        "payment_applications ORDER BY 1, 2",
        "slips": "SELECT id, sales_order, amount_minor, body_hash FROM packing_slips ORDER BY id",
    }
    with _engine(rt).connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in queries.items()}


@pytest.fixture
def reference(tmp_path: Path) -> Iterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade_database(url)
    settings = Settings(database_url=url, admin_token=ADMIN_TOKEN, deliver_webhooks=False)
    rt = build_runtime(settings)
    with TestClient(create_app(settings, rt)) as client:
        _set_up(Api(client))
    yield rt
    dispose(rt)


@pytest.mark.parametrize("batch_size", [1, 4, 5000])
def test_a_bulk_load_leaves_exactly_what_the_one_by_one_use_cases_leave(
    api: Api, runtime: Runtime, reference: Runtime, batch_size: int
) -> None:
    _set_up(api)
    _one_by_one(reference, ROWS)

    report = bulk_import.import_documents(runtime, SYSTEM, "FI01", ROWS, batch_size=batch_size)

    assert _state(runtime) == _state(reference)
    assert report.rows == len(ROWS)
    assert report.unchanged == 1
    assert [(r.row, r.code) for r in report.rejected] == [
        (14, "duplicate_document"),
        (15, "customer_not_found"),
        (16, "payment_overapplied"),
        (21, "invalid_amount"),
        (22, "invalid_input"),
        (23, "invalid_due_date"),
    ]
    assert report.accepted == len(ROWS) - 1 - 6


def test_loading_the_same_file_again_changes_nothing(api: Api, runtime: Runtime) -> None:
    _set_up(api)
    rows = ROWS[:16]  # no row changes an order stored by an earlier row
    bulk_import.import_documents(runtime, SYSTEM, "FI01", rows, batch_size=3)
    before = _state(runtime)

    again = bulk_import.import_documents(runtime, SYSTEM, "FI01", rows, batch_size=3)

    assert _state(runtime) == before
    assert again.accepted == 0
    assert again.unchanged == len(rows) - len(again.rejected)


def test_loading_a_file_twice_matches_posting_it_twice_one_by_one(
    api: Api, runtime: Runtime, reference: Runtime
) -> None:
    _set_up(api)
    _one_by_one(reference, ROWS)
    _one_by_one(reference, ROWS)

    bulk_import.import_documents(runtime, SYSTEM, "FI01", ROWS, batch_size=7)
    bulk_import.import_documents(runtime, SYSTEM, "FI01", ROWS, batch_size=7)

    assert _state(runtime) == _state(reference)


def test_the_running_totals_equal_the_totals_recomputed_from_the_documents(
    api: Api, runtime: Runtime
) -> None:
    _set_up(api)
    bulk_import.import_documents(runtime, SYSTEM, "FI01", ROWS, batch_size=2)

    with runtime.uow(read_only=True) as uow:
        for account in ("C1", "C2", "C3"):
            stored = uow.customers.get("FI01", account)
            assert stored is not None
            kept = {b.currency.code: b for b in uow.customers.exposure(stored.id)}
            for bucket in uow.documents.recompute_exposure(stored.id):
                got = kept[bucket.currency.code]
                assert (got.balance, got.packing_slips, got.open_orders) == (
                    bucket.balance,
                    bucket.packing_slips,
                    bucket.open_orders,
                ), account


def test_the_set_based_aging_report_matches_the_per_customer_aged_balances(
    api: Api, runtime: Runtime
) -> None:
    _set_up(api)
    bulk_import.import_documents(runtime, SYSTEM, "FI01", ROWS)

    report = aging_report.legal_entity_aging(runtime, SYSTEM, "FI01", date(2026, 12, 15))

    assert report["customers"]
    for row in report["customers"]:
        single = api.get(
            f"/legal-entities/FI01/customers/{row['account']}/aged-balances", as_of="2026-12-15"
        ).json()
        assert (single["buckets"], single["total"]) == (row["buckets"], row["total"])


def _random_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Documents that lean on each other across batches: invoices against orders, payments
    of earlier invoices (in part, in full, too much), packing slips, repeats and conflicts."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    invoices: list[tuple[str, str]] = []
    orders: list[str] = []
    for n in range(count):
        account = rng.choice(["C1", "C2", "C3"])
        roll = rng.random()
        if roll < 0.35 or not invoices:
            extra = {"sales_order": rng.choice(orders)} if orders and rng.random() < 0.3 else {}
            doc_id = f"I{n}"
            rows.append(_inv(doc_id, account, f"{rng.randrange(1, 90_000) / 100:.2f}", **extra))
            invoices.append((doc_id, account))
        elif roll < 0.4:
            amount = f"{rng.randrange(1, 5_000) / 100:.2f}"
            rows.append(_inv(f"CN{n}", account, amount, type="credit_note"))
        elif roll < 0.7:
            invoice, payer = rng.choice(invoices)
            applied = f"{rng.randrange(1, 60_000) / 100:.2f}"
            rows.append(
                {
                    "type": "payment",
                    "id": f"P{n}",
                    "customer": payer,
                    "amount": {"amount": applied, "currency": "EUR"},
                    "date": "2026-10-15",
                    "applies_to": [{"invoice": invoice, "amount": applied}],
                }
            )
        elif roll < 0.8:
            doc_id = f"SO{n}"
            rows.append(
                {
                    "type": "sales_order",
                    "id": doc_id,
                    "customer": account,
                    "amount": f"{rng.randrange(0, 200_000) / 100:.2f}",
                    "currency": "EUR",
                }
            )
            orders.append(doc_id)
        elif roll < 0.9 and orders:
            rows.append(
                {
                    "type": "packing_slip",
                    "id": f"PS{n}",
                    "sales_order": rng.choice(orders),
                    "amount": f"{rng.randrange(1, 50_000) / 100:.2f}",
                    "currency": "EUR",
                    "date": "2026-10-02",
                }
            )
        else:
            repeat = dict(rng.choice(rows))
            if rng.random() < 0.5 and repeat["type"] == "invoice":
                repeat["due_date"] = "2026-12-31"  # another body under the same id
            rows.append(repeat)
    return rows


@pytest.mark.parametrize("batch_size", [37, 1000])
def test_a_long_random_load_leaves_what_the_one_by_one_use_cases_leave(
    api: Api, runtime: Runtime, reference: Runtime, batch_size: int
) -> None:
    _set_up(api)
    rows = _random_rows(300, seed=batch_size)
    _one_by_one(reference, rows)

    report = bulk_import.import_documents(runtime, SYSTEM, "FI01", rows, batch_size=batch_size)
    again = bulk_import.import_documents(runtime, SYSTEM, "FI01", rows, batch_size=batch_size)

    assert _state(runtime) == _state(reference)
    assert report.accepted > 150
    assert report.rejected
    assert again.accepted == 0
    assert again.unchanged == report.accepted + report.unchanged


@pytest.mark.parametrize("flag", [True, "true", "yes", "1"])
def test_an_intercompany_order_is_refused_in_bulk_with_its_reason_and_nothing_else_is_lost(
    api: Api, runtime: Runtime, flag: Any
) -> None:
    _set_up(api)
    rows = [
        {
            "type": "sales_order",
            "id": "IC1",
            "customer": "C1",
            "amount": "10.00",
            "currency": "EUR",
            "intercompany": flag,
        },
        {
            "type": "sales_order",
            "id": "SO9",
            "customer": "C1",
            "amount": "10.00",
            "currency": "EUR",
            "intercompany": False,
        },
    ]

    report = bulk_import.import_documents(runtime, SYSTEM, "FI01", rows)

    assert [(r.id, r.code) for r in report.rejected] == [("IC1", "unsupported_in_bulk")]
    assert report.accepted == 1
    assert api.get("/legal-entities/FI01/sales-orders/IC1").status_code == 404
    assert api.get("/legal-entities/FI01/sales-orders/SO9").json()["intercompany"] is False
