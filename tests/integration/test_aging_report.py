"""The set-based aging report of a legal entity (``service_layer.aging_report``): each open
invoice lands in the bucket ``domain.aging.bucket_for`` gives it (the bucket edges included),
per customer and currency, with totals per currency; paid invoices are left out, credit notes
count negative, and the amounts are written exactly as ``serialize.money`` writes them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditdesk.domain.aging import BUCKETS, bucket_for
from creditdesk.domain.errors import AmountOutOfRangeError, InvalidAmountError
from creditdesk.domain.money import CURRENCIES, MAX_MINOR, Money, currency
from creditdesk.service_layer import aging_report, serialize
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime
from tests.support import Api

AS_OF = date(2026, 12, 15)
# days past due on AS_OF: not yet due, due today, and both sides of every bucket edge
DAYS = (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)


def _invoice(api: Api, invoice_id: str, account: str, amount: str, days: int) -> None:
    due = AS_OF - timedelta(days=days)
    api.invoice(
        "FI01",
        invoice_id,
        account,
        amount,
        invoice_date=(due - timedelta(days=30)).isoformat(),
        due_date=due.isoformat(),
    )


def _row(code: str, minors: dict[str, int]) -> dict[str, Any]:
    cur = currency(code)
    return {
        "currency": code,
        "buckets": {name: serialize.money(Money.from_minor(minors[name], cur)) for name in BUCKETS},
        "total": serialize.money(Money.from_minor(sum(minors.values()), cur)),
    }


def test_every_open_invoice_is_aged_into_its_bucket_per_customer_and_currency(
    api: Api, runtime: Runtime
) -> None:
    api.legal_entity("FI01", "EUR")
    for account in ("C1", "C2", "C3", "C4"):
        api.customer("FI01", account, "1000000.00 EUR")
    expected: dict[tuple[str, str], dict[str, int]] = {}

    def owe(account: str, code: str, minor: int, days: int) -> None:
        cell = expected.setdefault((account, code), dict.fromkeys(BUCKETS, 0))
        cell[bucket_for(AS_OF - timedelta(days=days), AS_OF)] += minor

    # C1: one invoice on each side of each bucket edge, amounts that cannot sum alike
    for n, days in enumerate(DAYS):
        minor = 100 * 2**n + n
        _invoice(api, f"A{n}", "C1", f"{Money.from_minor(minor, currency('EUR')).amount} EUR", days)
        owe("C1", "EUR", minor, days)
    # C2: a paid invoice (left out), a part-paid one and a credit note (negative)
    _invoice(api, "B1", "C2", "500.00 EUR", 45)
    api.payment("FI01", "P1", "C2", "500.00 EUR", applies_to={"B1": "500.00 EUR"})
    _invoice(api, "B2", "C2", "300.00 EUR", 10)
    api.payment("FI01", "P2", "C2", "120.50 EUR", applies_to={"B2": "120.50 EUR"})
    owe("C2", "EUR", 17950, 10)
    api.invoice("FI01", "CN1", "C2", "40.00 EUR", "2026-12-01", "2026-12-01", kind="credit_note")
    owe("C2", "EUR", -4000, (AS_OF - date(2026, 12, 1)).days)
    # C3: invoices in two currencies, one row per currency; JPY has no minor unit
    _invoice(api, "D1", "C3", "70.00 EUR", 75)
    owe("C3", "EUR", 7000, 75)
    _invoice(api, "D2", "C3", "9.99 USD", 2)
    _invoice(api, "D3", "C3", "0.01 USD", 200)
    owe("C3", "USD", 999, 2)
    owe("C3", "USD", 1, 200)
    _invoice(api, "D4", "C3", "1234 JPY", 31)
    owe("C3", "JPY", 1234, 31)
    # C4 owes nothing and is not listed

    report = aging_report.legal_entity_aging(runtime, SYSTEM, "FI01", AS_OF)

    assert report["legal_entity"] == "FI01"
    assert report["as_of"] == "2026-12-15"
    assert report["customers_with_open_items"] == 3
    assert report["customers"] == [
        {"account": account, **_row(code, minors)}
        for (account, code), minors in sorted(expected.items())
    ]
    totals: dict[str, dict[str, int]] = {}
    for (_, code), minors in expected.items():
        row = totals.setdefault(code, dict.fromkeys(BUCKETS, 0))
        for name in BUCKETS:
            row[name] += minors[name]
    assert report["totals"] == [_row(code, minors) for code, minors in sorted(totals.items())]

    only_totals = aging_report.legal_entity_aging(runtime, SYSTEM, "FI01", AS_OF, customers=False)
    assert only_totals["totals"] == report["totals"]
    assert only_totals["customers_with_open_items"] is None
    assert "customers" not in only_totals


def test_a_legal_entity_without_open_invoices_has_no_rows(api: Api, runtime: Runtime) -> None:
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C1", "100.00 EUR")

    report = aging_report.legal_entity_aging(runtime, SYSTEM, "FI01", AS_OF)

    assert (report["totals"], report["customers"], report["customers_with_open_items"]) == (
        [],
        [],
        0,
    )


@given(
    minor=st.integers(min_value=-(10**21), max_value=10**21),
    code=st.sampled_from(sorted(CURRENCIES)),
)
def test_amount_text_is_what_serialize_money_writes(minor: int, code: str) -> None:
    cur = currency(code)
    try:
        expected = serialize.money(Money.from_minor(minor, cur))
    except InvalidAmountError:
        with pytest.raises(InvalidAmountError):
            aging_report.amount_text(minor, cur)
    else:
        assert expected == {"amount": aging_report.amount_text(minor, cur), "currency": code}


@pytest.mark.parametrize("code", ["JPY", "EUR", "KWD"])
def test_amount_text_at_the_edges_of_money(code: str) -> None:
    cur = currency(code)
    for minor in (0, 1, -1, 10**cur.exponent, MAX_MINOR, -MAX_MINOR):
        assert aging_report.amount_text(minor, cur) == str(Money.from_minor(minor, cur).amount)
    for minor in (MAX_MINOR + 1, -(MAX_MINOR + 1)):
        with pytest.raises(AmountOutOfRangeError):
            aging_report.amount_text(minor, cur)
