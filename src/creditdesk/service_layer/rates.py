"""Currency conversion for one check or report: the rate in force on a date (latest
``valid_from`` on or before it; the inverse pair when only that exists), each rate used
recorded so the decision can show it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from creditdesk.domain.decisions import RateUsed
from creditdesk.domain.errors import ExchangeRateMissingError
from creditdesk.domain.money import ROUNDING, Currency, Money
from creditdesk.service_layer.ports import RateRepository

_PRECISION = Decimal("1e-12")


class RateBook:
    def __init__(self, rates: RateRepository, on: date) -> None:
        self._rates = rates
        self._on = on
        self._cache: dict[tuple[str, str], Decimal] = {}
        self.used: dict[tuple[str, str], RateUsed] = {}

    def rate(self, from_currency: Currency, to_currency: Currency) -> Decimal:
        key = (from_currency.code, to_currency.code)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        quote = self._rates.quote(from_currency.code, to_currency.code, self._on)
        if quote is None:
            raise ExchangeRateMissingError(
                f"no exchange rate from {from_currency} to {to_currency} in force on {self._on}",
                from_currency=from_currency.code,
                to_currency=to_currency.code,
                on=self._on.isoformat(),
            )
        self._cache[key] = quote.rate
        self.used[key] = RateUsed(
            from_currency.code, to_currency.code, quote.rate, quote.valid_from, quote.inverse
        )
        return quote.rate

    def convert(self, money: Money, to: Currency) -> Money:
        if money.currency == to:
            return money
        return money.convert(self.rate(money.currency, to), to, ROUNDING)


def inverse_rate(rate: Decimal) -> Decimal:
    """1 / rate to twelve decimal places (half-even), for the reverse pair."""
    return (Decimal(1) / rate).quantize(_PRECISION, rounding=ROUNDING).normalize()
