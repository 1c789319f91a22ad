"""Hypothesis strategies: money is built from integers of minor units, exact by construction."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from creditdesk.domain.money import Currency, Money, currency

# Nordic and common currencies plus one of each unusual exponent (JPY 0, KWD 3).
CURRENCY_CODES = ("EUR", "SEK", "NOK", "DKK", "USD", "JPY", "KWD")

MAX_MINOR = 10**15


def currencies() -> st.SearchStrategy[Currency]:
    return st.sampled_from([currency(code) for code in CURRENCY_CODES])


def minor_units(max_abs: int = MAX_MINOR) -> st.SearchStrategy[int]:
    return st.integers(min_value=-max_abs, max_value=max_abs)


def moneys(cur: Currency, max_abs: int = MAX_MINOR) -> st.SearchStrategy[Money]:
    return minor_units(max_abs).map(lambda minor: Money.from_minor(minor, cur))


def rates() -> st.SearchStrategy[Decimal]:
    """Positive exchange rates with up to six decimals, between 0.000001 and 1,000."""
    return st.integers(min_value=1, max_value=10**9).map(lambda n: Decimal(n).scaleb(-6))
