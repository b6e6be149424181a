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
