"""The body every event travels in: the same shape the events API lists."""

import json

from rest_framework.fields import DateTimeField

from merchants.models import Event

_datetime = DateTimeField()


def iso_datetime(value) -> str:
    return _datetime.to_representation(value)


def event_payload(event: Event) -> dict:
    return {
        "id": event.public_id,
        "object": "event",
        "type": event.type,
        "created": iso_datetime(event.created_at),
        "merchant": event.merchant.public_id,
        "checkout_id": event.checkout_id or None,
        "payment_intent_id": event.payment_intent_id or None,
        "correlation_id": event.correlation_id or None,
        # The API call (or job) that caused it, as its X-Request-ID answered (Stripe's request.id).
        "request_id": event.request_id or None,
        "data": {"before": None, "after": None, **(event.data or {})},
    }


def payload_body(payload: dict) -> str:
    # Signed as sent: compact and deterministic, so a retry carries the same bytes.
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
