"""The merchant's pricing, fees and availability dates: pure arithmetic, no writes.

Every captured payment prices its fee and availability date from the merchant's pricing,
which finance staff change rarely: it is read from process memory
(core/process_cache.py), outdated everywhere when a change to it commits (the signals
below, so admin edits count, and the model's InvalidatingQuerySet for an update()).
Callers read the row and never change it.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models.signals import post_delete, post_save

from core.money import round_half_up
from core.process_cache import cached, invalidate_on_update, scope_invalidate
from ledger.models import MerchantPricing

DEFAULT = MerchantPricing()


def _scope(merchant_id: int) -> str:
    return f"ledger-pricing:{merchant_id}"


def pricing_for(merchant_id: int) -> MerchantPricing:
    row = cached(
        "ledger-pricing",
        merchant_id,
        scope=_scope(merchant_id),
        load=lambda: MerchantPricing.objects.filter(merchant_id=merchant_id).first(),
    )
    return row or DEFAULT


def _pricing_changed(sender, instance, **kwargs):
    scope_invalidate(_scope(instance.merchant_id))


post_save.connect(_pricing_changed, sender=MerchantPricing, dispatch_uid="ledger-pricing")
post_delete.connect(_pricing_changed, sender=MerchantPricing, dispatch_uid="ledger-pricing")
# A queryset update() sends no signal: the model's manager outdates it instead.
invalidate_on_update(MerchantPricing, fields=("merchant_id",), scopes=lambda row: [_scope(row["merchant_id"])])


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
