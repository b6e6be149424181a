"""Small display helpers for detail pages: status badges and timelines, one look everywhere."""

from django.utils.html import format_html

# Which badge colour a state reads as; anything else is neutral.
TONES = {
    "success": {"succeeded", "completed", "captured", "approved", "allowed", "paid", "won", "processed", "enabled"},
    "warning": {"requires_capture", "authorized", "requires_action", "processing", "pending", "under_review",
                "needs_info", "in_review", "partially_refunded", "closing", "awaiting_approval", "open"},
    "danger": {"failed", "canceled", "cancelled", "expired", "rejected", "blocked", "disputed", "lost", "disabled"},
    "info": {"refunded", "payment_processing", "reserved"},
}  # fmt: skip


def tone(state: str) -> str:
    return next((name for name, states in TONES.items() if state in states), "neutral")


def badge(state: str, label: str | None = None) -> str:
    return format_html('<span class="bo-badge bo-badge--{}">{}</span>', tone(state), label or state.replace("_", " "))


def humanize(event_type: str) -> str:
    """ "gateway.authorize" → "Gateway authorize"; "state.pending" → "State pending"."""
    return event_type.replace(".", " ").replace("_", " ").capitalize()


def data_summary(data: dict, *, hidden=("key", "idempotency_key", "token", "secret", "digest")) -> str:
    """An event's data as short "name: value" text for people; keys and tokens left out."""
    if not isinstance(data, dict):
        return ""
    parts = []
    for name, value in data.items():
        if name in hidden or value in (None, "", [], {}):
            continue
        if isinstance(value, dict | list):
            value = (
                ", ".join(f"{k}={v}" for k, v in value.items())
                if isinstance(value, dict)
                else ", ".join(map(str, value))
            )
        parts.append(f"{name.replace('_', ' ')}: {value}")
    return "; ".join(parts)[:300]


def merchant_name(obj) -> str:
    """A list column: the merchant's name (its id is on the detail page)."""
    return obj.merchant.name


merchant_name.short_description = "Merchant"
merchant_name.admin_order_field = "merchant__name"
