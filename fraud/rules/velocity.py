"""`velocity`: attempts by the same card fingerprint, e-mail, IP or device in a window.

conditions: {"keys": [...], "window_minutes": 10, "tiers": [{"min_count": 5, "score": 45},
{"min_count": 10, "score": 80}]}. The count includes this attempt; the highest tier reached
gives the points (tiers do not add up). Only payment attempts count, not scores asked for
without paying. The caller holds an advisory lock per key value (fraud/locks.py), so
concurrent attempts count each other.
"""

from datetime import timedelta

from fraud.rules.base import IDENTITY_KEYS, Context, Hit, invalid, reject_unknown, require_int, require_subset

DEFAULT_CONDITIONS = {
    "keys": ["card_fingerprint", "email", "ip_address"],
    "window_minutes": 10,
    "tiers": [{"min_count": 5, "score": 45}, {"min_count": 10, "score": 80}],
}
LABELS = {"card_fingerprint": "card", "email": "e-mail", "ip_address": "IP address", "device_fingerprint": "device"}


def validate(conditions: dict) -> dict:
    reject_unknown(conditions, {"keys", "window_minutes", "tiers"})
    keys = require_subset(conditions, "keys", IDENTITY_KEYS)
    window = require_int(conditions, "window_minutes", low=1, high=7 * 24 * 60)
    tiers = conditions.get("tiers")
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= 5:
        raise invalid("conditions.tiers must list 1 to 5 {min_count, score} tiers.", "tiers")
    clean = []
    for tier in tiers:
        if not isinstance(tier, dict) or set(tier) != {"min_count", "score"}:
            raise invalid("Each tier is exactly {min_count, score}.", "tiers")
        clean.append(
            {
                "min_count": require_int(tier, "min_count", low=2, high=10000),
                "score": require_int(tier, "score", low=0, high=100),
            }
        )
    clean.sort(key=lambda tier: tier["min_count"])
    return {"keys": keys, "window_minutes": window, "tiers": clean}


def count_recent(ctx: Context, keys, since) -> dict[str, int]:
    """{key: earlier payment attempts with this attempt's value of it since `since`}, all
    keys in one query (each count its own filter over the rows any of them matches)."""
    from django.db.models import Count, Q

    from fraud.models import FraudAssessment

    matching = {key: Q(**{key: ctx.facts.value(key)}) for key in keys if ctx.facts.value(key)}
    if not matching:
        return {}
    either = Q()
    for condition in matching.values():
        either |= condition
    counts = (
        FraudAssessment.objects.filter(either, merchant_id=ctx.facts.merchant_id, created_at__gte=since)
        .exclude(payment_intent_id="")
        .aggregate(**{f"n_{key}": Count("pk", filter=condition) for key, condition in matching.items()})
    )
    return {key: counts[f"n_{key}"] for key in matching}


def evaluate(conditions: dict, points: int, ctx: Context) -> Hit | None:
    since = ctx.now - timedelta(minutes=conditions["window_minutes"])
    counts = count_recent(ctx, conditions["keys"], since)
    best = None
    for key in conditions["keys"]:
        if key not in counts:
            continue
        count = counts[key] + 1  # this attempt
        reached = [tier for tier in conditions["tiers"] if count >= tier["min_count"]]
        if reached and (best is None or reached[-1]["score"] > best[2]["score"]):
            best = (key, count, reached[-1])
    if best is None:
        return None
    key, count, tier = best
    return Hit(
        tier["score"],
        f"{count} attempts with this {LABELS[key]} in {conditions['window_minutes']} minutes",
        {"key": key, "count": count, "min_count": tier["min_count"]},
    )
