from decimal import Decimal

import pytest

from core.money import Money, allocate, currency_exponent, round_half_up


def test_exponents_follow_iso_4217():
    assert currency_exponent("JPY") == 0
    assert currency_exponent("EUR") == 2
    assert currency_exponent("KWD") == 3


def test_allocate_never_loses_a_minor_unit():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert sum(allocate(1001, [333, 333, 334])) == 1001
    assert allocate(0, [5, 5]) == [0, 0]


def test_round_half_up():
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("2.4999")) == 2


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(10.5, "USD")
    with pytest.raises(ValueError):
        Money(1, "USD") + Money(1, "EUR")
    assert Money(1234, "USD").format() == "$12.34"
    assert Money(1234, "JPY").format() == "¥1,234"
    assert Money(1234, "KWD").format("en_US") == "KWD1.234"
