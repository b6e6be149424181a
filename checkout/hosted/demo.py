"""The run command's demo: a shop with something to sell, ship and tax, and a checkout
session a newcomer can pay in the browser within a minute."""

from django.conf import settings
from django.db import transaction

from checkout.hosted.policy import FRAME_ANCESTORS_SETTING
from checkout.models import CheckoutSession, PickupLocation, ShippingRate, StockLocation, TaxRate
from checkout.services.fulfillment import location_create, location_stock_set
from checkout.services.sessions import session_create
from merchants.models import Merchant
from merchants.services import merchant_settings_update

DEMO_CART = [
    {"sku": "POUR-OVER-SET", "name": "Ceramic pour-over set", "quantity": 1, "unit_amount": 3400, "weight_grams": 900},
    {"sku": "BEANS-250", "name": "Single-origin coffee beans, 250 g", "quantity": 2, "unit_amount": 1450,
     "weight_grams": 250},
]  # fmt: skip
_WORLD = ["US", "CA", "MX", "BR", "GB", "IE", "DE", "AT", "CH", "NL", "BE", "LU", "FR", "ES", "PT", "IT", "DK",
          "SE", "NO", "FI", "PL", "CZ", "AU", "NZ", "JP", "SG", "HK", "KR", "IN", "ZA", "AE", "IL"]  # fmt: skip


def _international(home: list[str], amount: int) -> dict:
    countries = [country for country in _WORLD if country not in home]
    return {"name": "International", "carrier": "DHL", "service_code": "express_worldwide", "amount": amount,
            "countries": countries, "min_delivery_days": 3, "max_delivery_days": 7}  # fmt: skip


# Each currency's home carriers for its home countries, and one rate for the rest of the
# world: a British address is not offered USPS, and a newcomer's address still gets options.
DEMO_RATES = {
    "USD": [
        {"name": "Standard", "carrier": "USPS", "service_code": "ground", "amount": 599, "countries": ["US"],
         "min_delivery_days": 3, "max_delivery_days": 5},
        {"name": "Express", "carrier": "UPS", "service_code": "2nd_day_air", "amount": 1899, "countries": ["US"],
         "min_delivery_days": 1, "max_delivery_days": 2},
        _international(["US"], 2999),
    ],
    "GBP": [
        {"name": "Standard", "carrier": "Royal Mail", "service_code": "tracked_48", "amount": 399,
         "countries": ["GB"], "min_delivery_days": 2, "max_delivery_days": 3},
        {"name": "Next day", "carrier": "DPD", "service_code": "next_day", "amount": 899, "countries": ["GB"],
         "min_delivery_days": 1, "max_delivery_days": 1},
        _international(["GB"], 2499),
    ],
    "EUR": [
        {"name": "Standard", "carrier": "DHL", "service_code": "paket", "amount": 499,
         "countries": ["DE", "AT", "NL", "FR"], "min_delivery_days": 2, "max_delivery_days": 4},
        {"name": "Express", "carrier": "DHL", "service_code": "express", "amount": 1499,
         "countries": ["DE", "AT", "NL", "FR"], "min_delivery_days": 1, "max_delivery_days": 2},
        _international(["DE", "AT", "NL", "FR"], 2799),
    ],
}  # fmt: skip
DEMO_RATE_CURRENCIES = list(DEMO_RATES)
# The set ships from the warehouse, the beans from the roastery's shop: the demo cart
# arrives in two parcels (the hosted delivery step shows them).
DEMO_LOCATIONS = [
    ({"code": "WH-OAKLAND", "name": "Oakland warehouse", "kind": "warehouse", "country": "US", "priority": 1,
      "handling_days": 1}, {"POUR-OVER-SET": 500}),
    ({"code": "SHOP-MISSION", "name": "Mission St roastery", "kind": "store", "country": "US", "priority": 2},
     {"BEANS-250": 500}),
]  # fmt: skip
DEMO_TAX_RATES = [("US", "Sales tax", 850), ("GB", "VAT", 2000), ("DE", "MwSt", 1900)]


def demo_shop_ensure(*, merchant: Merchant) -> None:
    """Gives the demo merchant a rate table, a pickup point and tax rates, where it has none."""
    with transaction.atomic():
        Merchant.objects.select_for_update().get(pk=merchant.pk)
        # The API document's examples are in GBP: a newcomer copying them gets options too.
        for currency in dict.fromkeys([merchant.default_currency, *DEMO_RATE_CURRENCIES]):
            if ShippingRate.objects.filter(merchant=merchant, currency=currency).exists():
                continue
            for rate in DEMO_RATES.get(currency, DEMO_RATES["USD"]):
                ShippingRate.objects.create(merchant=merchant, currency=currency, **rate)
        if not PickupLocation.objects.filter(merchant=merchant).exists():
            PickupLocation.objects.create(
                merchant=merchant,
                name=f"{merchant.name}, Mission St",
                line1="500 Mission St",
                city="San Francisco",
                postal_code="94105",
                country="US",
                opening_hours="Mon–Sat 9:00–18:00",
            )
        if not StockLocation.objects.filter(merchant=merchant).exists():
            for fields, levels in DEMO_LOCATIONS:
                location = location_create(merchant_id=merchant.pk, **fields)
                location_stock_set(
                    merchant_id=merchant.pk,
                    location_id=location.public_id,
                    items=[{"sku": sku, "on_hand": on_hand} for sku, on_hand in levels.items()],
                    actor="system:demo",
                )
        for country, name, rate_bps in DEMO_TAX_RATES:
            TaxRate.objects.get_or_create(
                merchant=merchant, country=country, tax_code="", defaults={"name": name, "rate_bps": rate_bps}
            )

    # The demo's embedded checkout (static/demo/embed.html) is served by this same server:
    # its origin may frame the hosted pages.
    merchant.refresh_from_db()
    frames = list((merchant.extra_settings or {}).get(FRAME_ANCESTORS_SETTING) or [])
    if settings.PUBLIC_BASE_URL not in frames:
        merchant_settings_update(
            merchant_id=merchant.pk,
            changes={"extra_settings": {FRAME_ANCESTORS_SETTING: [*frames, settings.PUBLIC_BASE_URL]}},
        )


def demo_session_create(*, merchant: Merchant, locale: str | None = None) -> CheckoutSession:
    data = {"currency": merchant.default_currency, "lines": DEMO_CART, "cart_id": "demo-cart"}
    if locale:
        data["locale"] = locale
    return session_create(merchant=merchant, data=data, actor="system:demo")
