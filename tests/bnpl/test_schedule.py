"""Schedule arithmetic: amounts add up exactly (remainder to the first), JPY, month ends."""

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from payments.bnpl import plans, schedule


def test_pay_in_4_splits_evenly_with_the_remainder_cent_first():
    assert schedule.split_amount(10000, 4) == [2500, 2500, 2500, 2500]
    assert schedule.split_amount(10003, 4) == [2503, 2500, 2500, 2500]
    assert schedule.split_amount(5000, 3) == [1668, 1666, 1666]


def test_jpy_has_no_minor_unit_so_whole_yen_split_the_same_way():
    # ¥10,001 in four: the yen that does not divide goes first, never a fraction of a yen.
    assert schedule.split_amount(10001, 4) == [2501, 2500, 2500, 2500]
    assert plans.default_limits("JPY") == (5000, 300000)
    assert plans.default_limits("USD") == (3500, 200000)
    assert plans.default_limits("KWD") == (35000, 2000000)  # three decimals


@given(total=st.integers(min_value=4, max_value=10**15), count=st.integers(min_value=1, max_value=24))
def test_amounts_always_add_up_and_differ_by_the_remainder_only(total, count):
    assume(total >= count)
    amounts = schedule.split_amount(total, count)
    assert sum(amounts) == total and len(amounts) == count
    assert all(a == amounts[-1] for a in amounts[1:]) and 0 <= amounts[0] - amounts[-1] < count


def test_an_amount_below_one_unit_per_installment_is_refused():
    with pytest.raises(ValueError):
        schedule.split_amount(3, 4)


def test_every_two_weeks_from_purchase():
    dates = schedule.due_dates(date(2026, 12, 20), count=4, unit="days", every=14)
    assert dates == [date(2026, 12, 20), date(2027, 1, 3), date(2027, 1, 17), date(2027, 1, 31)]


def test_monthly_plans_keep_the_purchase_day_across_short_months():
    assert schedule.due_dates(date(2027, 1, 31), count=3, unit="months", every=1) == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)
    ]  # fmt: skip
    assert schedule.due_dates(date(2028, 1, 30), count=2, unit="months", every=1)[1] == date(2028, 2, 29)
    assert schedule.due_dates(date(2027, 11, 30), count=3, unit="months", every=1)[2] == date(2028, 1, 30)


def test_refunds_reduce_the_latest_owed_installments_first():
    assert schedule.reduce_owed([1250, 1250, 1250], 1500) == [1250, 1000, 0]
    assert schedule.reduce_owed([1250, 1250], 5000) == [0, 0]
    assert schedule.reduce_owed([1250], 0) == [1250]
