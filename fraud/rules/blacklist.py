"""`blacklist`: a fact on the merchant's block list (e-mail, IP, card, device, country).

conditions: {"kinds": [...]} (default: every kind). The look-up itself is done once per
assessment (`Context.blocked`); this says which of those hits the rule counts.
"""

from fraud.rules.base import Context, Hit, reject_unknown, require_subset

KINDS = ("email", "ip_address", "card_fingerprint", "device_fingerprint", "country")
DEFAULT_CONDITIONS = {"kinds": list(KINDS)}


def validate(conditions: dict) -> dict:
    reject_unknown(conditions, {"kinds"})
    return {"kinds": require_subset(conditions, "kinds", KINDS, default=list(KINDS))}


def evaluate(conditions: dict, points: int, ctx: Context) -> Hit | None:
    hits = [(kind, value) for kind, value in ctx.blocked if kind in conditions["kinds"]]
    if not hits:
        return None
    kinds = ", ".join(sorted({kind for kind, _ in hits}))
    return Hit(points, f"on the block list ({kinds})", {"matched": [kind for kind, _ in hits]})
