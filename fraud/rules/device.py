"""`device_fingerprint`: many cards or e-mails on one device, or a device seen in fraud.

conditions: {"window_hours": 24, "min_cards": 3, "min_emails": null, "seen_in_fraud": false}.
Counts distinct values on this device's payment attempts in the window, this one included;
`seen_in_fraud` matches a device whose earlier payment was blocked.
"""

from datetime import timedelta

from fraud.rules.base import Context, Hit, invalid, reject_unknown, require_int

DEFAULT_CONDITIONS = {"window_hours": 24, "min_cards": 3}


def validate(conditions: dict) -> dict:
    reject_unknown(conditions, {"window_hours", "min_cards", "min_emails", "seen_in_fraud"})
    out = {"window_hours": require_int(conditions, "window_hours", low=1, high=24 * 90, default=24)}
    for key in ("min_cards", "min_emails"):
        if conditions.get(key) is not None:
            out[key] = require_int(conditions, key, low=2, high=1000)
    seen = conditions.get("seen_in_fraud", False)
    if not isinstance(seen, bool):
        raise invalid("conditions.seen_in_fraud must be true or false.", "seen_in_fraud")
    out["seen_in_fraud"] = seen
    if not (out.get("min_cards") or out.get("min_emails") or seen):
        raise invalid("Give min_cards, min_emails or seen_in_fraud.", "min_cards")
    return out


def _distinct(qs, field, current) -> int:
    values = set(qs.exclude(**{field: ""}).values_list(field, flat=True).distinct())
    if current:
        values.add(current)
    return len(values)


def evaluate(conditions: dict, points: int, ctx: Context) -> Hit | None:
    from fraud.models import FraudAssessment

    facts = ctx.facts
    if not facts.device_fingerprint:
        return None
    seen = FraudAssessment.objects.filter(
        merchant_id=facts.merchant_id, device_fingerprint=facts.device_fingerprint
    ).exclude(payment_intent_id="")
    if conditions.get("seen_in_fraud") and seen.filter(status=FraudAssessment.Status.BLOCKED).exists():
        return Hit(points, "this device was seen in a blocked payment", {"seen_in_fraud": True})
    recent = seen.filter(created_at__gte=ctx.now - timedelta(hours=conditions["window_hours"]))
    hours = conditions["window_hours"]
    if conditions.get("min_cards"):
        cards = _distinct(recent, "card_fingerprint", facts.card_fingerprint)
        if cards >= conditions["min_cards"]:
            return Hit(points, f"{cards} cards on this device in {hours} h", {"cards": cards})
    if conditions.get("min_emails"):
        emails = _distinct(recent, "email", facts.email)
        if emails >= conditions["min_emails"]:
            return Hit(points, f"{emails} e-mails on this device in {hours} h", {"emails": emails})
    return None
