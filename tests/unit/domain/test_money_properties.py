"""Arithmetic promises of Money, checked over money built from integer minor units."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from creditdesk.domain.money import Currency, Money, currency, sum_money
from tests.strategies import currencies, minor_units, moneys, rates


@st.composite
def money_pairs(draw: st.DrawFn) -> tuple[Money, Money]:
    cur = draw(currencies())
    return draw(moneys(cur)), draw(moneys(cur))


@st.composite
def money_triples(draw: st.DrawFn) -> tuple[Money, Money, Money]:
    cur = draw(currencies())
    return draw(moneys(cur)), draw(moneys(cur)), draw(moneys(cur))


@st.composite
def money_lists(draw: st.DrawFn) -> tuple[Currency, list[Money]]:
    cur = draw(currencies())
    return cur, draw(st.lists(moneys(cur), max_size=20))


@given(pair=money_pairs())
def test_addition_is_commutative(pair: tuple[Money, Money]) -> None:
    a, b = pair

    assert a + b == b + a


@given(triple=money_triples())
def test_addition_is_associative(triple: tuple[Money, Money, Money]) -> None:
    a, b, c = triple

    assert (a + b) + c == a + (b + c)


@given(cur=currencies(), minor=minor_units())
def test_money_minus_itself_is_zero(cur: Currency, minor: int) -> None:
    a = Money.from_minor(minor, cur)

    difference = a - a

    assert difference == Money.zero(cur)
    assert difference.is_zero


@given(cur=currencies(), minor=minor_units())
def test_from_minor_and_minor_round_trip(cur: Currency, minor: int) -> None:
    value = Money.from_minor(minor, cur)

    assert value.minor == minor
    assert Money.from_minor(value.minor, cur) == value


@given(cur=currencies(), minor=minor_units())
def test_the_text_form_parses_back_to_the_same_money(cur: Currency, minor: int) -> None:
    value = Money.from_minor(minor, cur)

    assert Money.of(str(value.amount), cur.code) == value


@given(pair=money_pairs())
def test_addition_matches_addition_of_minor_units(pair: tuple[Money, Money]) -> None:
    a, b = pair

    total = a + b

    assert total.minor == a.minor + b.minor


@given(entry=money_lists())
def test_sum_money_equals_the_sum_of_minor_units(entry: tuple[Currency, list[Money]]) -> None:
    cur, items = entry

    total = sum_money(items, cur)

    assert total == Money.from_minor(sum(item.minor for item in items), cur)


@given(pair=money_pairs(), target=currencies(), rate=rates())
def test_conversion_at_a_positive_rate_keeps_the_order(
    pair: tuple[Money, Money], target: Currency, rate: Decimal
) -> None:
    a, b = sorted(pair, key=lambda m: m.amount)

    low, high = a.convert(rate, target), b.convert(rate, target)

    assert low <= high
    assert low.currency == target


@given(source=currencies(), target=currencies(), minor=minor_units(), rate=rates())
def test_conversion_lands_within_half_a_minor_unit_of_the_exact_value(
    source: Currency, target: Currency, minor: int, rate: Decimal
) -> None:
    value = Money.from_minor(minor, source)

    converted = value.convert(rate, target)

    exact = value.amount if source == target else value.amount * rate
    assert abs(converted.amount - exact) <= target.quantum / 2


@given(cur=currencies(), minor=minor_units(10**12))
def test_converting_at_rate_one_to_a_finer_currency_and_back_is_lossless(
    cur: Currency, minor: int
) -> None:
    value = Money.from_minor(minor, cur)
    finest = currency("KWD")  # three decimals, the finest of the strategy's currencies

    there_and_back = value.convert(Decimal(1), finest).convert(Decimal(1), cur)

    assert there_and_back == value
