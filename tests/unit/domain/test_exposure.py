"""Exposure: the counted parts of every bucket, converted part by part into one currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditdesk.domain.exposure import ExposureBucket, ExposureDelta, counted, exposure_in
from creditdesk.domain.money import Currency, Money, currency, sum_money
from creditdesk.domain.setup import CreditLimitType
from tests.strategies import minor_units
from tests.unit.domain.builders import EUR, SEK, eur

# EUR per unit of each currency (fixed for the tests).
RATES_TO_EUR = {"EUR": Decimal(1), "SEK": Decimal("0.5"), "NOK": Decimal("0.085")}


def to_eur(money: Money, target: Currency) -> Money:
    assert target == EUR
    return money.convert(RATES_TO_EUR[money.currency.code], target)


def bucket(
    cur: Currency = EUR,
    *,
    balance: int = 0,
    packing_slips: int = 0,
    open_orders: int = 0,
    kind: CreditLimitType = CreditLimitType.BALANCE_AND_ALL,
) -> ExposureBucket:
    return ExposureBucket(cur, balance, packing_slips, open_orders, kind)


@pytest.mark.parametrize(
    ("kind", "parts"),
    [
        (CreditLimitType.BALANCE, (100, 0, 0)),
        (CreditLimitType.BALANCE_AND_PACKING_SLIPS, (100, 20, 0)),
        (CreditLimitType.BALANCE_AND_ALL, (100, 20, 3)),
    ],
)
def test_the_credit_limit_type_chooses_which_parts_count(
    kind: CreditLimitType, parts: tuple[int, int, int]
) -> None:
    counted_parts = counted(bucket(balance=100, packing_slips=20, open_orders=3, kind=kind))

    assert counted_parts == parts


def test_exposure_by_balance_only_ignores_deliveries_and_open_orders() -> None:
    buckets = [
        bucket(
            balance=500_000, packing_slips=20_000, open_orders=30_000, kind=CreditLimitType.BALANCE
        )
    ]

    exposure = exposure_in(buckets, EUR, to_eur)

    assert exposure.balance == eur("5,000")
    assert exposure.packing_slips == Money.zero(EUR)
    assert exposure.open_orders == Money.zero(EUR)
    assert exposure.total == eur("5,000")


def test_exposure_of_balance_and_all_counts_every_part() -> None:
    buckets = [bucket(balance=500_000, packing_slips=20_000, open_orders=30_000)]

    exposure = exposure_in(buckets, EUR, to_eur)

    assert exposure.total == eur("5,500")


def test_buckets_in_other_currencies_are_converted_into_the_target() -> None:
    buckets = [bucket(balance=100_000), bucket(SEK, balance=100_000, open_orders=50_000)]

    exposure = exposure_in(buckets, EUR, to_eur)

    assert exposure.balance == eur("1,500")
    assert exposure.open_orders == eur("250")
    assert exposure.total == eur("1,750")


def test_each_part_is_converted_on_its_own_and_the_parts_add_up_to_the_total() -> None:
    # 0.01 SEK is 0.005 EUR, which rounds half-even to 0.00 for each part; converting the
    # 0.03 SEK sum at once would give 0.02 EUR, which the parts could not explain.
    buckets = [bucket(SEK, balance=1, packing_slips=1, open_orders=1)]

    exposure = exposure_in(buckets, EUR, to_eur)

    assert (exposure.balance, exposure.packing_slips, exposure.open_orders) == (
        Money.zero(EUR),
        Money.zero(EUR),
        Money.zero(EUR),
    )
    assert exposure.total == Money.zero(EUR)


def test_unapplied_payments_reduce_the_balance() -> None:
    buckets = [bucket(balance=-20_000, open_orders=50_000)]

    exposure = exposure_in(buckets, EUR, to_eur)

    assert exposure.balance == eur("-200")
    assert exposure.total == eur("300")


def test_no_buckets_give_zero_exposure_in_the_target_currency() -> None:
    exposure = exposure_in([], EUR, to_eur)

    assert exposure.total == Money.zero(EUR)


def test_an_exposure_delta_negates_every_part() -> None:
    delta = ExposureDelta(EUR, balance=100, packing_slips=-20, open_orders=3)

    assert -delta == ExposureDelta(EUR, balance=-100, packing_slips=20, open_orders=-3)
    assert not delta.is_zero
    assert ExposureDelta(EUR).is_zero


@st.composite
def exposure_buckets(draw: st.DrawFn) -> ExposureBucket:
    cur = draw(st.sampled_from([currency(code) for code in RATES_TO_EUR]))
    return ExposureBucket(
        cur,
        draw(minor_units(10**12)),
        draw(minor_units(10**12)),
        draw(minor_units(10**12)),
        draw(st.sampled_from(list(CreditLimitType))),
    )


@given(buckets=st.lists(exposure_buckets(), max_size=8))
def test_the_parts_always_add_up_to_the_total(buckets: list[ExposureBucket]) -> None:
    exposure = exposure_in(buckets, EUR, to_eur)

    assert exposure.balance + exposure.packing_slips + exposure.open_orders == exposure.total


@given(buckets=st.lists(exposure_buckets(), max_size=8))
def test_each_part_is_the_sum_of_its_converted_counted_parts(
    buckets: list[ExposureBucket],
) -> None:
    exposure = exposure_in(buckets, EUR, to_eur)

    for part, index in (
        (exposure.balance, 0),
        (exposure.packing_slips, 1),
        (exposure.open_orders, 2),
    ):
        converted = [to_eur(Money.from_minor(counted(b)[index], b.currency), EUR) for b in buckets]
        assert part == sum_money(converted, EUR)
