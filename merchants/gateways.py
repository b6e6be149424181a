"""Which payment gateways the platform can serve, as the payments app tells.

Merchants stores a merchant's gateway by name but knows nothing of gateways: payments
registers, in its AppConfig.ready(), a predicate per gateway saying whether the platform
has it configured (Stripe needs the platform's API key), so settings can refuse the rest.
"""

_availability = {}


def register_gateway_availability(name: str, is_configured) -> None:
    """`is_configured() -> bool`, asked each time (settings may change at runtime in tests)."""
    _availability[name] = is_configured


def gateway_is_configured(name: str) -> bool:
    check = _availability.get(name)
    return bool(check and check())
