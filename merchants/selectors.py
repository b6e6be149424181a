from dataclasses import dataclass

from core.api.serializers import capture_mode_public
from merchants.models import Merchant

# What the platform can do today; features turn on here as they ship.
PAYMENT_METHOD_TYPES = ["card"]


def merchant_capabilities(*, merchant: Merchant) -> dict:
    return {
        "merchant_id": merchant.public_id,
        "currencies": merchant.supported_currencies,
        "default_currency": merchant.default_currency,
        # The API document's spelling (auto | manual); `automatic` is still accepted as input.
        "capture_modes": [capture_mode_public(c.value) for c in Merchant.CaptureMode],
        "approval_modes": [c.value for c in Merchant.ApprovalMode],
        "gateway": merchant.gateway,
        "payment_method_types": PAYMENT_METHOD_TYPES,
        "features": {
            "idempotency_keys": True,
            "optimistic_concurrency": True,
            "merchant_approval": merchant.approval_mode == Merchant.ApprovalMode.MERCHANT,
            "manual_capture": merchant.capture_mode == Merchant.CaptureMode.MANUAL,
        },
        "limits": {
            "session_ttl_minutes": merchant.session_ttl_minutes,
            "payment_time_limit_minutes": merchant.payment_time_limit_minutes,
            "max_payment_attempts": merchant.max_payment_attempts,
        },
    }


# Card-testing protection (tokenize and confirm), per merchant in `extra_settings`: how
# many calls each browser credential, each client IP and each checkout session may make
# per window. Positive integers; a null in PATCH /settings restores the default.
CARD_RATE_LIMIT_DEFAULTS = {
    "card_rate_limit_window_seconds": 600,
    "card_rate_limit_per_key": 1000,
    "card_rate_limit_per_ip": 20,
    "card_rate_limit_per_session": 10,
}
CARD_RATE_LIMIT_MAX = 10**6


@dataclass(frozen=True)
class CardRateLimits:
    window_seconds: int
    per_key: int
    per_ip: int
    per_session: int


def merchant_card_rate_limits(merchant: Merchant) -> CardRateLimits:
    extra = merchant.extra_settings or {}
    values = {}
    for name, default in CARD_RATE_LIMIT_DEFAULTS.items():
        value = extra.get(name, default)
        # Written before validation existed, or by hand: a malformed value means the default.
        values[name] = value if type(value) is int and 1 <= value <= CARD_RATE_LIMIT_MAX else default
    return CardRateLimits(*values.values())
