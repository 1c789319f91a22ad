"""The fast parse of bulk import rows (``bulk_import._fast``) means exactly what the reference
parse means (``bulk_import._reference_parse``, the checks of the documents use cases with their
``Money`` inputs): the same document and body hash for a row both accept, and for every other
row the reference decides (the same rejection code and message). The body hashes are the ones
the one-by-one use cases compute (``documents.body_hash``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditdesk.domain.errors import CreditDeskError
from creditdesk.service_layer import bulk_import, documents

LE = "FI01"

AMOUNTS = (
    "12.50", "12.5", "12", "0.01", "0", "0.00", "-1.00", "+3.00", "12.500", "12.501", " 7.25 ",
    "1e3", "", "abc", "١٢", "999999999999999999", "9999999999999999999", "123456789012345678.99",
    "0.5", "00012.30", "5.", ".5", "1,5", "1.2.3", "1_000.00", "12.3_4", "²", "1.²", "0x10",
    "0000000000000000001", "1.0000000000000000000", "1.000", "7.10", "1 000.00", "12.",
    "92233720368547758.07", "92233720368547758.08", "9223372036854775807", "9223372036854775808",
    "9223372036854775.808", "-92233720368547758.08", "9" * 25,
)  # fmt: skip
CURRENCY_CODES = ("EUR", "eur", " SEK ", "JPY", "KWD", "XXX", "", None)
TEXTS = (
    "C1", " C2 ", 'Åsa & "Co"', "line\nbreak", "", "   ", None, 7, "x" * 81, "x" * 80, "日本",
    "C\u202e1", "C\u200b1", "Cafe\u0301", "C\ufffd", "\ufeffC1", "C\u00a01", "顧客 7",
)  # fmt: skip
DATES = ("2026-10-01", "2026-10-31", "2026-09-01", "20261001", "2026-W40-1", "2026-02-30", "", None)


def _amount_values() -> st.SearchStrategy[Any]:
    texts = st.sampled_from(AMOUNTS)
    return st.one_of(
        texts,
        st.integers(-5, 5000),
        st.sampled_from([1.5, True, None, ["1.00"]]),
        st.builds(
            lambda a, c: {"amount": a, "currency": c},
            st.one_of(texts, st.integers(0, 99), st.just(2.25)),
            st.sampled_from(CURRENCY_CODES),
        ),
        st.builds(lambda a: {"amount": a}, texts),
    )


def _applies_to() -> st.SearchStrategy[Any]:
    item = st.builds(
        lambda inv, amount: {"invoice": inv, "amount": amount},
        st.sampled_from(["I1", "I2", " I3 ", "", 5]),
        st.one_of(
            st.sampled_from(AMOUNTS),
            st.builds(
                lambda a, c: {"amount": a, "currency": c},
                st.sampled_from(AMOUNTS),
                st.sampled_from(CURRENCY_CODES),
            ),
            st.just(1.25),
        ),
    )
    text = st.lists(
        st.builds(
            lambda inv, amount, sep: f"{inv}{sep}{amount}",
            st.sampled_from(["I1", "I2", " I3 ", ""]),
            st.sampled_from(AMOUNTS),
            st.sampled_from([":", " : ", ""]),
        ),
        max_size=3,
    ).map(";".join)
    return st.one_of(
        st.none(), st.just(""), text, st.lists(item, max_size=3), st.just("junk"), st.just(5)
    )


_MISSING = object()


def _mostly(good: Any, *others: Any) -> st.SearchStrategy[Any]:
    """Usually a good value, sometimes another (or missing): most rows are valid, many not."""
    return st.one_of(st.just(good), st.just(good), st.just(good), st.sampled_from(others))


GOOD_AMOUNTS = ("12.50", "12.5", "12", "0.01", "1250.00", "00012.30", "999999999999999999", "0.10")
GOOD_APPLIES = (
    "",
    None,
    "D0:0.50",
    "D0:1.00;D9:0.25",
    [{"invoice": "D0", "amount": "0.50"}],
    [{"invoice": "D0", "amount": {"amount": "0.5", "currency": "eur"}}],
)

_FIELDS: dict[str, tuple[Any, ...]] = {
    "invoice": ("customer", "amount", "currency", "invoice_date", "due_date", "sales_order"),
    "credit_note": ("customer", "amount", "currency", "invoice_date", "due_date"),
    "payment": ("customer", "amount", "currency", "date", "applies_to"),
    "sales_order": (
        "customer",
        "amount",
        "currency",
        "payment_terms",
        "settlement_discount",
        "status",
        "exclude",
    ),
    "packing_slip": ("sales_order", "amount", "currency", "date"),
}


def _value(name: str) -> st.SearchStrategy[Any]:
    good: dict[str, st.SearchStrategy[Any]] = {
        "customer": _mostly("C1", *TEXTS, _MISSING),
        "amount": st.one_of(st.sampled_from(GOOD_AMOUNTS), _amount_values(), st.just(_MISSING)),
        "currency": _mostly("EUR", *CURRENCY_CODES, _MISSING),
        "invoice_date": _mostly("2026-10-01", *DATES, _MISSING),
        "due_date": _mostly("2026-10-31", *DATES, _MISSING),
        "date": _mostly("2026-10-15", *DATES, _MISSING),
        "sales_order": _mostly("SO1", *TEXTS, _MISSING),
        "applies_to": st.one_of(st.sampled_from(GOOD_APPLIES), _applies_to()),
        "payment_terms": _mostly(_MISSING, *TEXTS),
        "settlement_discount": _mostly(_MISSING, *TEXTS),
        "status": _mostly(_MISSING, "open", "cancelled", " cancelled ", "closed", "", None, 1),
        "exclude": _mostly(_MISSING, "", "yes", " No ", "TRUE", "maybe", True, False, 0, None),
    }
    return good[name]


@st.composite
def _rows(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(_FIELDS)))
    row: dict[str, Any] = {
        "type": draw(_mostly(kind, " invoice ", "receipt", None, 3)),
        "id": draw(
            _mostly(
                "D1",
                " D2 ",
                "Dé",
                "D\x01",
                "",
                None,
                "x" * 80,
                "x" * 81,
                9,
                "   ",
                "D\u202e1",
                "D\u200b1",
                "Dé\u0301",
                "D\ufffd",
                "\ufeffD1",
                "D\u00a01",
                "顧客 7",
                "D 1",
            )
        ),
    }
    for name in _FIELDS[kind]:
        value = draw(_value(name))
        if value is not _MISSING:
            row[name] = value
    extra = draw(_mostly(_MISSING, "applies_to", "status", "_error"))
    if extra == "_error":
        row["_error"] = draw(st.sampled_from(["line 3 is not JSON", 5]))
    elif extra is not _MISSING:
        row.setdefault(extra, draw(_value(extra)))
    return row


def _outcome(parse: Any, row: dict[str, Any]) -> Any:
    try:
        return parse(1, row, LE)
    except CreditDeskError as error:
        return (type(error), error.code, str(error))


def _digest_of_use_case(parsed: bulk_import.Parsed) -> str:
    """The body hash the one-by-one use case computes for the same document."""
    doc = parsed.document
    if isinstance(doc, documents.InvoiceInput):
        return documents.body_hash(
            {
                "customer": doc.customer,
                "amount": doc.amount,
                "invoice_date": doc.invoice_date,
                "due_date": doc.due_date,
                "sales_order": doc.sales_order,
                "kind": doc.kind,
            }
        )
    if isinstance(doc, documents.SalesOrderInput):
        return documents.body_hash(
            {
                "customer": doc.customer,
                "amount": doc.amount,
                "payment_terms": doc.payment_terms,
                "settlement_discount": doc.settlement_discount,
                "status": doc.status,
                "exclude": doc.exclude,
            }
        )
    if isinstance(doc, documents.PaymentInput):
        return documents.body_hash(documents.check_payment(LE, doc))
    assert isinstance(doc, documents.PackingSlipInput)
    return documents.body_hash(documents.check_packing_slip(LE, doc))


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_rows())
def test_the_fast_parse_means_what_the_reference_parse_means(row: dict[str, Any]) -> None:
    reference = _outcome(bulk_import._reference_parse, row)

    assert _outcome(bulk_import.parse, row) == reference
    fast = bulk_import._fast(1, row, json.dumps(LE))
    if fast is not None:
        assert fast == reference
        assert type(bulk_import.parse(1, row, LE)) is type(reference)
    if not isinstance(reference, tuple):
        assert reference.digest == _digest_of_use_case(reference)


COMMON_ROWS: list[dict[str, Any]] = [
    {
        "type": "invoice",
        "id": "I1",
        "customer": 'Åsa "Co"',
        "amount": "1250.5",
        "currency": "eur",
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
        "sales_order": "SO1",
    },
    {
        "type": "credit_note",
        "id": "CN1",
        "customer": "C1",
        "amount": {"amount": "40", "currency": "JPY"},
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-01",
    },
    {
        "type": "payment",
        "id": "P1",
        "customer": "C1",
        "amount": "600.000",
        "currency": "KWD",
        "date": "2026-10-15",
        "applies_to": "I1:500.00;I2:50.5",
    },
    {
        "type": "payment",
        "id": "P2",
        "customer": "C1",
        "amount": {"amount": "600.00", "currency": "EUR"},
        "date": "2026-10-15",
        "applies_to": [
            {"invoice": "I1", "amount": {"amount": "0.01", "currency": "eur"}},
            {"invoice": "I2", "amount": "599.99"},
        ],
    },
    {
        "type": "payment",
        "id": "P3",
        "customer": "C1",
        "amount": "5",
        "currency": "EUR",
        "date": "2026-10-15",
        "applies_to": "",
    },
    {"type": "sales_order", "id": "SO1", "customer": "C1", "amount": "0.00", "currency": "EUR"},
    {
        "type": "sales_order",
        "id": "SO2",
        "customer": "C1",
        "amount": "10.00",
        "currency": "SEK",
        "status": "cancelled",
        "exclude": "Yes",
        "payment_terms": "N30",
        "settlement_discount": "2/10",
    },
    {
        "type": "packing_slip",
        "id": "PS1",
        "sales_order": "SO1",
        "amount": "300",
        "currency": "EUR",
        "date": "2026-10-02",
    },
]


@pytest.mark.parametrize("row", COMMON_ROWS, ids=lambda row: str(row["id"]))
def test_common_rows_take_the_fast_path_with_the_use_cases_hash(row: dict[str, Any]) -> None:
    fast = bulk_import._fast(1, row, '"FI01"')
    parsed = bulk_import.parse(1, row, LE)

    assert fast is not None
    assert type(fast) is tuple  # a plain tuple: the garbage collector stops tracking it
    assert fast == parsed == bulk_import._reference_parse(1, row, LE)
    assert parsed.digest == _digest_of_use_case(parsed)


def test_a_row_the_fast_path_is_unsure_of_gets_the_reference_rejection() -> None:
    row = {**COMMON_ROWS[0], "amount": "12.345"}

    assert bulk_import._fast(1, row, '"FI01"') is None
    with pytest.raises(CreditDeskError) as raised:
        bulk_import.parse(1, row, LE)
    assert raised.value.code == "invalid_amount"
