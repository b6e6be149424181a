from dataclasses import dataclass

from core.api.serializers import capture_mode_public
from merchants.capabilities import capabilities_for, payment_method_types_for
from merchants.gateways import gateway_is_configured
from merchants.models import Merchant


def merchant_capabilities(*, merchant: Merchant) -> dict:
    """Derived from the merchant's settings and what the apps report for it
    (merchants.capabilities), never a fixed list."""
    return {
        "merchant_id": merchant.public_id,
        "currencies": merchant.supported_currencies,
        "default_currency": merchant.default_currency,
        # The API document's spelling (auto | manual); `automatic` is still accepted as input.
        "capture_modes": [capture_mode_public(c.value) for c in Merchant.CaptureMode],
        "approval_modes": [c.value for c in Merchant.ApprovalMode],
        "gateway": merchant.gateway,
        "gateway_configured": gateway_is_configured(merchant.gateway),
        "payment_method_types": payment_method_types_for(merchant),
        "features": {
            **capabilities_for(merchant),
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


def webhook_delivery_counts(*, merchant_id: int) -> dict:
    """The merchant's deliveries not yet delivered: `pending` (all of them), `failing`
    (pending after at least one failed attempt) and `failed` (given up)."""
    from django.db.models import Count, Q

    from merchants.models import WebhookDelivery

    State = WebhookDelivery.State
    return WebhookDelivery.objects.filter(endpoint__merchant_id=merchant_id).aggregate(
        pending=Count("id", filter=Q(state=State.PENDING)),
        failing=Count("id", filter=Q(state=State.PENDING, attempt_count__gt=0)),
        failed=Count("id", filter=Q(state=State.FAILED)),
    )


def webhook_deliveries_overdue(*, merchant_id: int, older_than) -> list[dict]:
    """Deliveries a worker claimed before `older_than` and has not finished."""
    from merchants.models import WebhookDelivery

    deliveries = (
        WebhookDelivery.objects.filter(
            endpoint__merchant_id=merchant_id, state=WebhookDelivery.State.PENDING, claimed_at__lte=older_than
        )
        .select_related("event")
        .order_by("claimed_at")[:100]
    )
    return [
        {"id": d.public_id, "event_id": d.event.public_id, "status": d.state, "started_at": d.claimed_at}
        for d in deliveries
    ]
