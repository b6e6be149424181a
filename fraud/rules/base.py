"""What every evaluator shares: the facts scored, the context, a match, validation."""

from dataclasses import dataclass, field
from datetime import datetime

from core.exceptions import DomainError

# The facts that can identify a repeat payer, by the names the list entries use.
IDENTITY_KEYS = ("card_fingerprint", "email", "ip_address", "device_fingerprint")


@dataclass(frozen=True)
class Facts:
    """Plain facts about one payment about to be authorized (or scored without paying)."""

    merchant_id: int
    amount: int
    currency: str
    card_fingerprint: str = ""
    email: str = ""
    ip_address: str = ""
    device_fingerprint: str = ""
    billing_country: str = ""
    shipping_country: str = ""
    card_country: str = ""
    card_brand: str = ""
    card_last4: str = ""
    payment_intent_id: str = ""
    reference: str = ""

    def value(self, key: str) -> str:
        return getattr(self, key, "") or ""


@dataclass
class Context:
    facts: Facts
    now: datetime
    settings: dict
    ip_country: str = ""
    # (kind, value) pairs of the merchant's block list that these facts hit.
    blocked: list = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    points: int
    reason: str
    detail: dict = field(default_factory=dict)


def invalid(message: str, key: str = "") -> DomainError:
    return DomainError(message, code="invalid_conditions", param="conditions", explain=key or None)


def require_int(conditions: dict, key: str, *, low: int, high: int, default=None) -> int:
    value = conditions.get(key, default)
    # bool is an int in Python; true is no count.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"conditions.{key} must be an integer between {low} and {high}.", key)
    return value


def require_subset(conditions: dict, key: str, allowed, *, default=None) -> list:
    value = conditions.get(key, default)
    if not isinstance(value, list) or not value or any(item not in allowed for item in value):
        raise invalid(f"conditions.{key} must be a non-empty list of {', '.join(allowed)}.", key)
    return list(dict.fromkeys(value))


def reject_unknown(conditions, allowed) -> dict:
    if not isinstance(conditions, dict):
        raise invalid("conditions must be an object.")
    unknown = sorted(set(conditions) - set(allowed))
    if unknown:
        raise invalid(
            f"Unknown condition {unknown[0]!r}; this rule type takes {', '.join(sorted(allowed))}.", unknown[0]
        )
    return conditions
