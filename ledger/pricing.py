"""The merchant's pricing, fees and availability dates: pure arithmetic, no writes."""

from datetime import date, timedelta
from decimal import Decimal

from core.money import round_half_up
from ledger.models import MerchantPricing

DEFAULT = MerchantPricing()


def pricing_for(merchant_id: int) -> MerchantPricing:
    return MerchantPricing.objects.filter(merchant_id=merchant_id).first() or DEFAULT


def card_fee(pricing: MerchantPricing, amount: int) -> int:
    """Percent plus fixed, per captured card charge; commercial rounding of the percent."""
    return round_half_up(Decimal(amount) * pricing.card_percent_bps / 10000) + pricing.card_fixed


def add_business_days(day: date, days: int) -> date:
    """`days` weekdays after `day` (bank holidays are not modelled: weekends only)."""
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day
