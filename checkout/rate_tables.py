"""A merchant's shipping and tax rate tables, from process memory (core/process_cache.py).

Every step that quotes or prices reads them, and they change when the merchant's staff
edit them, which outdates every process's copy on commit (the signals below, so admin
edits and scripts through the ORM count). The rows are matched in Python: a rate table is
a handful of rows, and the same rules as the SQL they replace are spelled out here.
"""

import copy

from django.db.models.signals import post_delete, post_save

from checkout.models import ShippingRate, TaxRate
from core.process_cache import cached, invalidate_on_update, scope_invalidate


def _scope(merchant_id: int) -> str:
    return f"rate-tables:{merchant_id}"


def _active_shipping_rates(merchant_id: int) -> list[ShippingRate]:
    return cached(
        "shipping-rates",
        merchant_id,
        scope=_scope(merchant_id),
        load=lambda: list(ShippingRate.objects.filter(merchant_id=merchant_id, is_active=True)),
    )


def _in_band(low, high, value: int) -> bool:
    # Half-open [low, high), an empty bound open: as checkout.providers.shipping documents.
    return (low is None or low <= value) and (high is None or value < high)


def shipping_rates_matching(*, merchant_id: int, currency: str, country: str, sub_total: int, weight_grams: int):
    """Active rates for the currency, country and bands, cheapest first (copies: callers
    may assign them to a session)."""
    rows = [
        row
        for row in _active_shipping_rates(merchant_id)
        if row.currency == currency
        and (not row.countries or country in row.countries)
        and _in_band(row.min_subtotal, row.max_subtotal, sub_total)
        and _in_band(row.min_weight_grams, row.max_weight_grams, weight_grams)
    ]
    rows.sort(key=lambda row: (row.amount, row.min_delivery_days, row.pk))
    return [copy.copy(row) for row in rows]


def shipping_rate_get(*, merchant_id: int, public_id: str) -> ShippingRate | None:
    """One of the merchant's active rates by its id, or None."""
    row = next((row for row in _active_shipping_rates(merchant_id) if row.public_id == public_id), None)
    return copy.copy(row) if row is not None else None


def tax_rates(*, merchant_id: int, country: str, tax_codes) -> list[TaxRate]:
    """The merchant's rates in `country` for `tax_codes` and the standard rate ('')."""
    wanted = {"", *tax_codes}
    rows = cached(
        "tax-rates",
        merchant_id,
        scope=_scope(merchant_id),
        load=lambda: list(TaxRate.objects.filter(merchant_id=merchant_id)),
    )
    return [row for row in rows if row.country == country and row.tax_code in wanted]


def _rate_table_changed(sender, instance, **kwargs):
    scope_invalidate(_scope(instance.merchant_id))


for _model in (ShippingRate, TaxRate):
    post_save.connect(_rate_table_changed, sender=_model, dispatch_uid=f"rate-tables-{_model.__name__}")
    post_delete.connect(_rate_table_changed, sender=_model, dispatch_uid=f"rate-tables-{_model.__name__}")
    invalidate_on_update(_model, fields=("merchant_id",), scopes=lambda row: [_scope(row["merchant_id"])])
