"""Card-testing protection: how many tokenize and confirm calls each browser credential,
client IP and checkout session may make per window (the merchant's limits)."""

from core.ratelimit import rate_limit_hit
from merchants.models import Merchant
from merchants.selectors import merchant_card_rate_limits


def card_attempt_count(*, merchant: Merchant, credential: str = "", ip: str = "", session: str = "") -> int | None:
    """Counts one card attempt against each named bucket (every bucket counts, even past
    the first refusal); None while all are within their limits, else the seconds to wait."""
    limits = merchant_card_rate_limits(merchant)
    checks = [
        (f"key:{credential}", limits.per_key, credential),
        (f"ip:{ip}", limits.per_ip, ip),
        (f"session:{session}", limits.per_session, session),
    ]
    waits = [
        rate_limit_hit(key=f"card:{merchant.pk}:{name}", limit=limit, window_seconds=limits.window_seconds)
        for name, limit, given in checks
        if given
    ]
    return max((wait for wait in waits if wait), default=None)
