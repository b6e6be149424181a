"""What a merchant can use today, as the apps that provide it say (GET /capabilities).

Merchants knows no product app: each app registers, in its AppConfig.ready(), a function
per capability that answers from the merchant's configuration and the platform's (the
gateway it is on and whether the platform has it configured, its rules, its settings).
A capability no installed app provides is reported as off, never guessed.
"""

from collections.abc import Callable

from merchants.models import Merchant

# The capabilities the API document names, always reported (off until an app provides them).
DOCUMENTED = [
    "three_d_secure",
    "hosted_pages",
    "split_payments",
    "installments",
    "gift_cards",
    "store_credit",
    "fraud",
    "kyc",
    "reconciliation",
]

_providers: dict[str, Callable[[Merchant], bool]] = {}
_method_types: list[tuple[str, Callable[[Merchant], bool]]] = []


def register_capability(name: str, provider: Callable[[Merchant], bool]) -> None:
    _providers[name] = provider


def register_payment_method_type(name: str, provider: Callable[[Merchant], bool]) -> None:
    """A way to pay (`card`, `gift_card`…) and whether this merchant can take it."""
    _method_types.append((name, provider))


def capabilities_for(merchant: Merchant) -> dict[str, bool]:
    names = DOCUMENTED + sorted(set(_providers) - set(DOCUMENTED))
    return {name: bool(_providers[name](merchant)) if name in _providers else False for name in names}


def payment_method_types_for(merchant: Merchant) -> list[str]:
    return [name for name, provider in _method_types if provider(merchant)]
