"""The merchant's automatic approval rules: amount and age limits, strict on bad values."""

from datetime import timedelta

import pytest
from django.utils import timezone

from merchants.models import Merchant
from refunds.rules import DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_AMOUNT, auto_approval

NOW = timezone.now()


def decide(settings, amount, *, currency="USD", age_days=1):
    merchant = Merchant(name="Rules", extra_settings=settings)
    return auto_approval(
        merchant=merchant, amount=amount, currency=currency, captured_at=NOW - timedelta(days=age_days), now=NOW
    ).approved


def test_defaults():
    assert decide({}, DEFAULT_MAX_AMOUNT) and not decide({}, DEFAULT_MAX_AMOUNT + 1)
    assert decide({}, 100, age_days=DEFAULT_MAX_AGE_DAYS - 1) and not decide({}, 100, age_days=DEFAULT_MAX_AGE_DAYS + 1)


@pytest.mark.parametrize(
    "settings,amount,currency,age_days,approved",
    [
        ({"refund_auto_approve_max_amount": 0}, 1, "USD", 0, False),
        ({"refund_auto_approve_max_amount": 500}, 500, "USD", 1, True),
        ({"refund_auto_approve_max_amount": {"USD": 500, "JPY": 3000}}, 3000, "JPY", 1, True),
        ({"refund_auto_approve_max_amount": {"USD": 500}}, 1, "EUR", 1, False),
        ({"refund_auto_approve_max_age_days": 2}, 100, "USD", 3, False),
        ({"refund_auto_approve_max_age_days": 0}, 100, "USD", 0.01, False),
        # Malformed values never approve more than the strictest reading.
        ({"refund_auto_approve_max_amount": "lots"}, 1, "USD", 1, False),
        ({"refund_auto_approve_max_amount": -1}, 1, "USD", 1, False),
        ({"refund_auto_approve_max_amount": True}, 1, "USD", 1, False),
        ({"refund_auto_approve_max_age_days": "a month"}, 1, "USD", 0.5, False),
    ],
)
def test_settings(settings, amount, currency, age_days, approved):
    assert decide(settings, amount, currency=currency, age_days=age_days) is approved


def test_a_payment_without_a_capture_time_goes_to_review():
    merchant = Merchant(name="Rules")
    assert not auto_approval(merchant=merchant, amount=1, currency="USD", captured_at=None).approved
