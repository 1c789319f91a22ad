"""Money: an exact amount in one ISO 4217 currency.

An amount must be representable at its currency's minor unit (EUR 2 decimals, JPY 0, KWD 3);
nothing is ever rounded implicitly. Scaling and conversion take a named rounding mode.
Floats never enter: a ``float`` amount is a ``TypeError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Final

from creditdesk.domain.errors import (
    AmountOutOfRangeError,
    CurrencyMismatchError,
    InvalidAmountError,
    UnknownCurrencyError,
)

ROUNDING: Final = ROUND_HALF_EVEN
"""Rounding used unless a rule names another (banker's rounding, the decimal default)."""


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    exponent: int

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.exponent)

    def __str__(self) -> str:
        return self.code


# ISO 4217 List One as amended to 2026: the alphabetic codes of the currencies in use, with
# their minor units. Funds codes (BOV, CLF, COU, …), precious metals, XDR and the testing codes are
# left out: nobody invoices in them.
_ISO_4217: Final = {
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
    "BAM": 2, "BBD": 2, "BDT": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2,
    "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CLP": 0,
    "CNY": 2, "COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2,
    "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2,
    "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2,
    "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3,
    "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2,
    "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2,
    "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2, "MWK": 2,
    "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2,
    "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2,
    "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2,
    "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2,
    "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2,
    "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2, "UYU": 2, "UZS": 2, "VED": 2, "VES": 2, "VND": 0,
    "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XCG": 2, "XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2,
    "ZMW": 2, "ZWG": 2,
}  # fmt: skip

# Codes ISO has withdrawn since creditdesk first shipped. They stay known: invoices and limits
# stored in them must still load, be converted and be settled.
WITHDRAWN: Final = {
    "ANG": 2,  # Netherlands Antillean guilder, replaced by XCG (Caribbean guilder) in 2025
    "BGN": 2,  # Bulgarian lev, replaced by EUR on 1 January 2026
}

CURRENCIES: Final[dict[str, Currency]] = {
    code: Currency(code, exponent) for code, exponent in (_ISO_4217 | WITHDRAWN).items()
}


def currency(code: str) -> Currency:
    """The currency for an ISO 4217 alphabetic code (upper case)."""
    try:
        return CURRENCIES[code]
    except (KeyError, TypeError):
        raise UnknownCurrencyError(
            f"unknown currency code {code!r}: expected an ISO 4217 code such as EUR",
            currency=code,
        ) from None


_AMOUNT_TEXT: Final = re.compile(r"[+-]?[0-9]{1,40}(\.[0-9]{1,18})?")
"""A plain decimal; whole parts longer than any amount can be are still read as numbers, so
that they are refused as out of range rather than as malformed."""
_NUMBER_TEXT: Final = re.compile(r"[+-]?[0-9]{1,18}(\.[0-9]{1,18})?")
"""A rate, percentage, count of days: a plain decimal (no exponent, no NaN or Infinity, ASCII
digits only), small enough for every place that stores or shows it."""

MAX_MINOR: Final = 2**63 - 1
"""The largest number of minor units an amount or a running total may hold: a signed 64-bit
integer, what a BIGINT column holds on PostgreSQL and an INTEGER on SQLite (which silently
turns a larger sum into a float)."""


def out_of_range(amount: object, code: str) -> AmountOutOfRangeError:
    return AmountOutOfRangeError(
        f"{amount} {code} is out of range: amounts and running totals must stay within "
        f"{MAX_MINOR:,} minor units",
        amount=str(amount)[:60],
        currency=code,
    )


def check_minor(minor: int, cur: Currency) -> int:
    """``minor`` when it fits the bound; else ``AmountOutOfRangeError`` (a running total in
    minor units, checked before it is stored)."""
    if -MAX_MINOR <= minor <= MAX_MINOR:
        return minor
    raise out_of_range(Decimal(minor).scaleb(-cur.exponent), cur.code)


def _to_decimal(value: Decimal | int | str, pattern: re.Pattern[str] = _AMOUNT_TEXT) -> Decimal:
    if isinstance(value, (bool, float)):
        raise TypeError(f"money amounts must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        if not pattern.fullmatch(value):
            raise InvalidAmountError(
                f"{value[:40]!r} is not an amount: write it as a plain decimal such as 1250.00",
                amount=value[:40],
            )
        return Decimal(value)
    raise TypeError(f"money amounts must be Decimal, int or str, not {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        amount = _to_decimal(self.amount)
        if not amount.is_finite():
            raise InvalidAmountError(f"{amount} is not a finite amount", amount=str(amount))
        if abs(amount) > _MAX_AMOUNT[self.currency.exponent]:
            raise out_of_range(amount, self.currency.code)
        try:
            exact = amount.quantize(self.currency.quantum, rounding=ROUNDING)
        except InvalidOperation:
            raise out_of_range(amount, self.currency.code) from None
        if exact != amount:
            raise InvalidAmountError(
                f"{amount} has more decimals than {self.currency.code} allows "
                f"({self.currency.exponent})",
                amount=str(amount),
                currency=self.currency.code,
            )
        object.__setattr__(self, "amount", exact + 0)  # canonical exponent, no -0

    @classmethod
    def of(cls, amount: Decimal | int | str, code: str) -> Money:
        return cls(_to_decimal(amount), currency(code))

    @classmethod
    def zero(cls, cur: Currency) -> Money:
        return _exact(_ZEROS[cur.exponent], cur)

    @classmethod
    def from_minor(cls, minor: int, cur: Currency) -> Money:
        if type(minor) is not int or not -_MINOR_BOUND < minor < _MINOR_BOUND:
            return cls(Decimal(minor).scaleb(-cur.exponent), cur)  # validates (and refuses)
        # an integer count of minor units is exact in the currency by construction
        return _exact(Decimal(minor).scaleb(-cur.exponent), cur)

    @property
    def minor(self) -> int:
        """The amount in integer minor units (cents), exact."""
        return int(self.amount.scaleb(self.currency.exponent))

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self.currency.code} with {other.currency.code}",
                left=self.currency.code,
                right=other.currency.code,
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return _sum(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return _sum(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return _sum(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def multiply(self, factor: Decimal, rounding: str = ROUNDING) -> Money:
        """Scale by an exact factor, rounding to the minor unit with the named mode."""
        return Money(_round_product(self.amount, factor, self.currency, rounding), self.currency)

    def convert(self, rate: Decimal, to: Currency, rounding: str = ROUNDING) -> Money:
        """This amount in another currency at ``rate`` (units of ``to`` per unit of ours)."""
        if to == self.currency:
            return self
        return Money(_round_product(self.amount, rate, to, rounding), to)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency.code}"


# Money built from values that are exact in their currency by construction (a count of minor
# units, the sum of two amounts of one currency) skips the checks of ``__post_init__``: the
# hot path of a credit check makes a few dozen of them. Only the size is still checked.
_MINOR_BOUND: Final = MAX_MINOR + 1
_ZEROS: Final = {exponent: Decimal(0).scaleb(-exponent) for exponent in range(0, 5)}
_MAX_AMOUNT: Final = {exponent: Decimal(MAX_MINOR).scaleb(-exponent) for exponent in range(0, 5)}


def _exact(amount: Decimal, cur: Currency) -> Money:
    money = object.__new__(Money)
    object.__setattr__(money, "amount", amount)
    object.__setattr__(money, "currency", cur)
    return money


def _sum(amount: Decimal, cur: Currency) -> Money:
    """An exact result of adding or negating amounts of ``cur`` (same exponent, no rounding)."""
    # (an amount with fewer than 19 - exponent whole digits is under the bound: no Decimal
    # comparison on the hot path of a credit check)
    if amount.adjusted() >= 18 - cur.exponent and abs(amount) > _MAX_AMOUNT[cur.exponent]:
        raise out_of_range(amount, cur.code)
    return _exact(amount + 0, cur)  # + 0: no negative zero


def _round_product(amount: Decimal, factor: Decimal, to: Currency, rounding: str) -> Decimal:
    """``amount * factor`` rounded once, with the named mode, from the exact product."""
    with localcontext() as exact:
        exact.prec = 80  # enough for any product of two stored values: no early rounding
        return (amount * factor).quantize(to.quantum, rounding=rounding)


def parse_money(text: str) -> Money:
    """Parse ``"12.50 EUR"`` (used by the CLI and test builders)."""
    parts = text.split()
    if len(parts) != 2:
        raise InvalidAmountError(f"{text!r} is not of the form '12.50 EUR'", amount=text)
    return Money.of(parts[0], parts[1].upper())


def sum_money(items: Iterable[Money], cur: Currency) -> Money:
    total = Money.zero(cur)
    for item in items:
        total = total + item
    return total


def percent_of(part: Money, whole: Money) -> Decimal | None:
    """``part / whole * 100`` rounded half-even to two decimals; ``None`` when whole is 0."""
    part._same(whole)
    if whole.amount == 0:
        return None
    return (part.amount * 100 / whole.amount).quantize(Decimal("0.01"), rounding=ROUNDING)


def parse_rate(value: str | Decimal | int) -> Decimal:
    """An exchange rate or percentage as an exact, finite Decimal (floats refused; the caller
    checks the sign its use needs). The API, the web forms and the importer all read numbers
    with it, so they refuse the same texts (exponents, NaN, Infinity, non-ASCII digits)."""
    rate = _to_decimal(value, _NUMBER_TEXT)
    if not rate.is_finite():
        raise InvalidAmountError(f"{value!r} is not a number", amount=str(value))
    return rate
