"""Shipping providers: which ways of shipping a cart are offered, and at what price.

The merchant picks one with `extra_settings["shipping_provider"]` (default "rate_table").
An option's `id` is the public id of one of the merchant's ShippingRate rows, because the
session stores the chosen row and pricing charges that row's amount; a provider decides
which rows apply to a cart (and in what order), not what they cost.

Providers are pure reads. select-shipping asks them again while it holds the session
lock, so they must answer from the database or memory: a provider that quotes a carrier's
API has to quote before the transaction and be verified after, which is not built yet.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

from checkout.models import ShippingRate
from checkout.rate_tables import shipping_rates_matching
from core.exceptions import ServiceUnavailable

DEFAULT_PROVIDER = "rate_table"


@dataclass(frozen=True)
class ShippingQuery:
    """What the options depend on; two equal queries get the same options."""

    country: str | None  # of the shipping address; None until the shopper gives one
    currency: str
    sub_total: int  # minor units: sum of quantity × unit_amount over every line
    weight_grams: int  # sum of weight_grams × quantity over the lines that ship


@dataclass(frozen=True)
class ShippingOption:
    id: str
    name: str
    carrier: str
    service_code: str
    amount: int
    currency: str
    min_delivery_days: int
    max_delivery_days: int


@dataclass(frozen=True)
class ShippingQuote:
    """A session's options and what they were quoted for."""

    query: ShippingQuery
    shipping_required: bool  # False when no line ships: no options, nothing to choose
    options: list[ShippingOption]

    def option(self, option_id: str) -> ShippingOption | None:
        return next((option for option in self.options if option.id == option_id), None)


class ShippingProvider(ABC):
    name: str

    @abstractmethod
    def options(self, *, merchant_id: int, query: ShippingQuery) -> list[ShippingOption]:
        """The options for the cart, cheapest first; [] when nothing can be shipped."""


class RateTableShippingProvider(ShippingProvider):
    """The merchant's own ShippingRate rows, matched on country, currency and the bands.
    Bands are half-open, [min, max): 'free from 50.00' and 'paid below 50.00' can share
    the bound 5000 without a cart of exactly 50.00 matching both. An empty bound is open."""

    name = "rate_table"

    def options(self, *, merchant_id: int, query: ShippingQuery) -> list[ShippingOption]:
        if query.country is None:
            return []
        # From process memory (checkout.rate_tables), matched by the same half-open bands.
        rows = shipping_rates_matching(
            merchant_id=merchant_id,
            currency=query.currency,
            country=query.country,
            sub_total=query.sub_total,
            weight_grams=query.weight_grams,
        )
        return [_option(row) for row in rows]


def _option(rate: ShippingRate) -> ShippingOption:
    return ShippingOption(
        id=rate.public_id,
        name=rate.name,
        carrier=rate.carrier,
        service_code=rate.service_code,
        amount=rate.amount,
        currency=rate.currency,
        min_delivery_days=rate.min_delivery_days,
        max_delivery_days=rate.max_delivery_days,
    )


_providers: dict[str, ShippingProvider] = {}


def register_shipping_provider(provider: ShippingProvider) -> ShippingProvider:
    _providers[provider.name] = provider
    return provider


register_shipping_provider(RateTableShippingProvider())


def shipping_provider_for(merchant) -> ShippingProvider:
    name = (merchant.extra_settings or {}).get("shipping_provider", DEFAULT_PROVIDER)
    provider = _providers.get(name)
    if provider is None:
        # Offering no options would look like "we don't ship there": say what is wrong.
        raise ServiceUnavailable(
            "The shipping provider configured for this merchant is not available.",
            code="shipping_provider_unavailable",
            explain=f"unknown shipping provider {name!r}",
        )
    return provider
