"""Tax providers: who says which rate applies to a line in a country.

A provider resolves a `TaxTable` (rates by tax code for one country); the arithmetic
stays in checkout.pricing so every provider rounds the same documented way. The merchant
picks one with `extra_settings["tax_provider"]` (default "rate_table").

Providers are called by the calculate service while it holds the session lock, so they
must answer from the database or memory: a provider that needs a remote tax service has
to quote before the transaction and be verified after (claim → call → record), which is
not built yet.
"""

from abc import ABC, abstractmethod

from checkout.pricing import TaxRule, TaxTable
from checkout.rate_tables import tax_rates
from core.exceptions import ServiceUnavailable

DEFAULT_PROVIDER = "rate_table"


class TaxProvider(ABC):
    name: str

    @abstractmethod
    def tax_table(self, *, merchant_id: int, country: str, tax_codes: frozenset[str]) -> TaxTable:
        """The rates for `tax_codes` (and the standard rate, tax code '') in `country`."""


class RateTableTaxProvider(TaxProvider):
    """The merchant's own TaxRate rows, from process memory (checkout.rate_tables)."""

    name = "rate_table"

    def tax_table(self, *, merchant_id: int, country: str, tax_codes: frozenset[str]) -> TaxTable:
        rows = tax_rates(merchant_id=merchant_id, country=country, tax_codes=tax_codes)
        return TaxTable(
            country=country,
            rules={
                row.tax_code: TaxRule(name=row.name, country=row.country, tax_code=row.tax_code, rate_bps=row.rate_bps)
                for row in rows
            },
        )


_providers: dict[str, TaxProvider] = {}


def register_tax_provider(provider: TaxProvider) -> TaxProvider:
    _providers[provider.name] = provider
    return provider


register_tax_provider(RateTableTaxProvider())


def tax_provider_for(merchant) -> TaxProvider:
    name = (merchant.extra_settings or {}).get("tax_provider", DEFAULT_PROVIDER)
    provider = _providers.get(name)
    if provider is None:
        # A setting naming a provider this deployment lacks: the merchant cannot be
        # priced until it is fixed, and guessing a rate would charge the wrong tax.
        raise ServiceUnavailable(
            "The tax provider configured for this merchant is not available.",
            code="tax_provider_unavailable",
            explain=f"unknown tax provider {name!r}",
        )
    return provider


def tax_country(*, shipping_address=None, billing_address=None, pickup_location=None, merchant) -> str:
    """Where the goods are taxed: shipped-to, else billed-to, else picked up, else the
    merchant's own country."""
    for source in (shipping_address, billing_address, pickup_location):
        if source is not None and source.country:
            return source.country
    return merchant.country
