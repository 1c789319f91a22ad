"""Money: exact amounts in one currency, no floats, rounding always named."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from creditdesk.domain.errors import (
    AmountOutOfRangeError,
    CurrencyMismatchError,
    InvalidAmountError,
    UnknownCurrencyError,
)
from creditdesk.domain.money import (
    Money,
    currency,
    parse_money,
    parse_rate,
    percent_of,
    sum_money,
)
from tests.unit.domain.builders import EUR, JPY, KWD, SEK, eur

# --- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1.5, 0.1, 10.0, True, False])
def test_float_and_bool_amounts_are_refused_with_a_type_error(amount: Any) -> None:
    with pytest.raises(TypeError):
        Money.of(amount, "EUR")


@pytest.mark.parametrize("amount", [1.5, True])
def test_the_constructor_refuses_float_and_bool_too(amount: Any) -> None:
    with pytest.raises(TypeError):
        Money(amount, EUR)


@pytest.mark.parametrize(
    "amount", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
def test_amounts_that_are_not_finite_are_invalid(amount: Decimal) -> None:
    with pytest.raises(InvalidAmountError) as raised:
        Money(amount, EUR)

    assert raised.value.code == "invalid_amount"


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "1e3", "1,000.00", "", " 1", "12.5.0"])
def test_text_that_is_not_a_plain_decimal_is_invalid(text: str) -> None:
    with pytest.raises(InvalidAmountError) as raised:
        Money.of(text, "EUR")

    assert raised.value.code == "invalid_amount"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("10.005", "EUR"),
        ("0.001", "EUR"),
        ("1.5", "JPY"),
        ("100.1", "JPY"),
        ("1.0005", "KWD"),
    ],
)
def test_amounts_finer_than_the_minor_unit_are_invalid(amount: str, code: str) -> None:
    with pytest.raises(InvalidAmountError) as raised:
        Money.of(amount, code)

    assert raised.value.code == "invalid_amount"


@pytest.mark.parametrize(
    ("amount", "code", "stored"),
    [
        ("10.01", "EUR", "10.01"),
        ("1500", "JPY", "1500"),
        ("1.005", "KWD", "1.005"),
        ("10.000", "EUR", "10.00"),
        ("7.00", "JPY", "7"),
    ],
)
def test_amounts_at_the_minor_unit_are_kept_exactly(amount: str, code: str, stored: str) -> None:
    value = Money.of(amount, code)

    assert str(value.amount) == stored


def test_ten_euros_reads_as_ten_point_zero_zero() -> None:
    value = Money.of("10", "EUR")

    assert value.amount == Decimal("10.00")
    assert str(value.amount) == "10.00"
    assert str(value) == "10.00 EUR"


def test_an_integer_amount_takes_the_currency_exponent() -> None:
    value = Money.of(10, "KWD")

    assert str(value) == "10.000 KWD"


def test_negative_zero_is_stored_as_zero() -> None:
    value = Money(Decimal("-0.00"), EUR)

    assert str(value) == "0.00 EUR"
    assert not value.is_negative


def test_an_amount_too_large_for_storage_is_invalid() -> None:
    with pytest.raises(InvalidAmountError):
        Money(Decimal("1E+18"), EUR)


@pytest.mark.parametrize("code", ["ABC", "eur", "EURO", ""])
def test_an_unknown_currency_code_is_refused(code: str) -> None:
    with pytest.raises(UnknownCurrencyError) as raised:
        Money.of("1.00", code)

    assert raised.value.code == "unknown_currency"


@pytest.mark.parametrize(
    ("code", "exponent"), [("XCG", 2), ("VED", 2), ("SVC", 2), ("ZWG", 2), ("SLE", 2)]
)
def test_currencies_introduced_by_recent_iso_4217_amendments_are_accepted(
    code: str, exponent: int
) -> None:
    assert currency(code).exponent == exponent
    assert str(Money.of("12.50", code)) == f"12.50 {code}"


@pytest.mark.parametrize("code", ["ANG", "BGN"])
def test_amounts_stored_in_a_withdrawn_currency_still_load(code: str) -> None:
    assert str(Money.from_minor(1250, currency(code))) == f"12.50 {code}"


@pytest.mark.parametrize("code", ["HRK", "SLL", "ZWL", "CUC", "VEF"])
def test_codes_withdrawn_before_creditdesk_shipped_are_unknown(code: str) -> None:
    with pytest.raises(UnknownCurrencyError):
        currency(code)


def test_currencies_know_their_minor_unit() -> None:
    exponents = {code: currency(code).exponent for code in ("EUR", "JPY", "KWD", "SEK")}

    assert exponents == {"EUR": 2, "JPY": 0, "KWD": 3, "SEK": 2}
    assert currency("KWD").quantum == Decimal("0.001")


def test_parse_money_reads_amount_and_currency() -> None:
    value = parse_money("12.50 eur")

    assert value == Money(Decimal("12.50"), EUR)


@pytest.mark.parametrize("text", ["12.50", "EUR 12.50", "12.50 EUR extra"])
def test_parse_money_refuses_text_of_another_shape(text: str) -> None:
    with pytest.raises((InvalidAmountError, UnknownCurrencyError)):
        parse_money(text)


# --- minor units -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "cur_code", "text"),
    [(1250, "EUR", "12.50 EUR"), (1250, "JPY", "1250 JPY"), (1250, "KWD", "1.250 KWD")],
)
def test_from_minor_places_the_decimal_point_by_currency(
    minor: int, cur_code: str, text: str
) -> None:
    value = Money.from_minor(minor, currency(cur_code))

    assert str(value) == text
    assert value.minor == minor


def test_minor_units_of_a_negative_amount_are_negative() -> None:
    value = eur("-0.07")

    assert value.minor == -7


# --- arithmetic ------------------------------------------------------------------------------


def test_addition_and_subtraction_within_one_currency_are_exact() -> None:
    total = eur("0.10") + eur("0.20")

    assert total == eur("0.30")
    assert total - eur("0.30") == Money.zero(EUR)


def test_negation_and_absolute_value_keep_the_currency() -> None:
    value = eur("-12.34")

    assert -value == eur("12.34")
    assert abs(value) == eur("12.34")


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_arithmetic_and_ordering_across_currencies_are_refused(combine: Any) -> None:
    with pytest.raises(CurrencyMismatchError) as raised:
        combine(eur("1.00"), Money.of("1.00", "SEK"))

    assert raised.value.code == "currency_mismatch"


def test_equal_amounts_in_different_currencies_are_not_equal() -> None:
    assert eur("1.00") != Money.of("1.00", "SEK")


def test_ordering_within_one_currency_compares_amounts() -> None:
    assert eur("1.00") < eur("1.01")
    assert eur("1.01") >= eur("1.01")


@pytest.mark.parametrize(
    ("amount", "factor", "result"),
    [
        ("0.25", "0.5", "0.12"),  # 0.125 → even neighbour 0.12
        ("0.35", "0.5", "0.18"),  # 0.175 → even neighbour 0.18
        ("10.00", "0.333", "3.33"),
        ("-0.25", "0.5", "-0.12"),
    ],
)
def test_multiply_rounds_half_even_to_the_minor_unit(amount: str, factor: str, result: str) -> None:
    scaled = eur(amount).multiply(Decimal(factor))

    assert scaled == eur(result)


def test_multiply_takes_a_named_rounding_mode() -> None:
    scaled = eur("0.25").multiply(Decimal("0.5"), rounding=ROUND_HALF_UP)

    assert scaled == eur("0.13")


@pytest.mark.parametrize(
    ("amount", "rate", "target", "result"),
    [
        ("2.50", "1", "JPY", "2"),  # half-even: 2.5 → 2
        ("3.50", "1", "JPY", "4"),  # half-even: 3.5 → 4
        ("1.00", "11.4215", "SEK", "11.42"),
        ("0.05", "0.5", "SEK", "0.02"),  # 0.025 → 0.02
        ("1.00", "0.30855", "KWD", "0.309"),
    ],
)
def test_convert_rounds_half_even_to_the_target_minor_unit(
    amount: str, rate: str, target: str, result: str
) -> None:
    converted = eur(amount).convert(Decimal(rate), currency(target))

    assert converted == Money.of(result, target)


def test_multiply_rounds_once_from_the_exact_product() -> None:
    # The exact product is ...029.694999999999990: below the half, so it rounds down. Rounding
    # it first to 28 significant digits would give ...029.695 and then round up to .70.
    value = eur("1000000000000029.69")

    scaled = value.multiply(Decimal("1.000168406871"))

    assert scaled == eur("1000168406871029.69")


def test_convert_rounds_once_from_the_exact_value() -> None:
    value = eur("1000000000000029.69")

    converted = value.convert(Decimal("1.000168406871"), SEK)

    assert converted == Money.of("1000168406871029.69", "SEK")


def test_convert_into_the_same_currency_changes_nothing() -> None:
    value = eur("12.34")

    assert value.convert(Decimal("2"), EUR) is value


def test_convert_takes_a_named_rounding_mode() -> None:
    converted = eur("2.50").convert(Decimal("1"), JPY, rounding=ROUND_HALF_UP)

    assert converted == Money.of("3", "JPY")


# --- sums and shares -------------------------------------------------------------------------


def test_sum_money_of_nothing_is_zero_in_the_currency() -> None:
    total = sum_money([], KWD)

    assert total == Money.zero(KWD)
    assert str(total) == "0.000 KWD"


def test_sum_money_adds_every_item() -> None:
    total = sum_money([eur("1.10"), eur("2.20"), eur("-0.30")], EUR)

    assert total == eur("3.00")


def test_sum_money_refuses_an_item_in_another_currency() -> None:
    with pytest.raises(CurrencyMismatchError):
        sum_money([eur("1.00"), Money.of("1.00", "SEK")], EUR)


def test_sum_money_refuses_items_that_are_not_in_the_given_currency() -> None:
    with pytest.raises(CurrencyMismatchError):
        sum_money([Money.of("1.00", "SEK")], EUR)


def test_percent_of_rounds_half_even_to_two_decimals() -> None:
    share = percent_of(eur("9,500"), eur("10,000"))

    assert share == Decimal("95.00")
    assert percent_of(eur("1"), eur("3")) == Decimal("33.33")


def test_percent_of_a_zero_whole_is_none() -> None:
    assert percent_of(eur("1"), Money.zero(EUR)) is None


def test_percent_of_across_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        percent_of(eur("1"), Money.of("1", "SEK"))


def test_zero_checks_and_sign() -> None:
    assert Money.zero(SEK).is_zero
    assert eur("-0.01").is_negative
    assert not eur("0.01").is_negative


# --- rates -----------------------------------------------------------------------------------


def test_a_rate_is_read_as_an_exact_decimal() -> None:
    rate = parse_rate("11.4215")

    assert rate == Decimal("11.4215")


def test_a_float_rate_is_refused() -> None:
    value: Any = 11.42

    with pytest.raises(TypeError):
        parse_rate(value)


@pytest.mark.parametrize("value", ["abc", "NaN", Decimal("NaN"), Decimal("Infinity")])
def test_a_rate_that_is_not_a_finite_number_is_invalid(value: str | Decimal) -> None:
    with pytest.raises(InvalidAmountError):
        parse_rate(value)


# --- the 64-bit bound ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("largest", "code"),
    [
        ("92233720368547758.07", "EUR"),
        ("9223372036854775807", "JPY"),
        ("9223372036854775.807", "KWD"),
    ],
)
def test_an_amount_fits_exactly_up_to_64_bit_minor_units(largest: str, code: str) -> None:
    assert Money.of(largest, code).minor == 2**63 - 1
    assert Money.of("-" + largest, code).minor == -(2**63 - 1)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("92233720368547758.08", "EUR"),
        ("-92233720368547758.08", "EUR"),
        ("9223372036854775808", "JPY"),
        ("9" * 40, "EUR"),
    ],
)
def test_an_amount_past_64_bit_minor_units_is_out_of_range(amount: str, code: str) -> None:
    with pytest.raises(AmountOutOfRangeError) as raised:
        Money.of(amount, code)
    assert raised.value.code == "amount_out_of_range"


def test_a_sum_or_a_count_of_minor_units_past_the_bound_is_out_of_range() -> None:
    half = Money.of("50000000000000000.00", "EUR")

    with pytest.raises(AmountOutOfRangeError):
        _ = half + half
    with pytest.raises(AmountOutOfRangeError):
        Money.from_minor(2**63, half.currency)
    assert (half - half).is_zero


@pytest.mark.parametrize("code", ["JPY", "EUR", "KWD"])
def test_a_sum_one_minor_unit_past_the_bound_is_out_of_range(code: str) -> None:
    cur = currency(code)
    largest = Money.from_minor(2**63 - 1, cur)
    one = Money.from_minor(1, cur)

    assert (largest - one + one) == largest
    with pytest.raises(AmountOutOfRangeError):
        _ = largest + one
    with pytest.raises(AmountOutOfRangeError):
        _ = -largest - one
