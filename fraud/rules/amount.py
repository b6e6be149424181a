"""`amount_threshold`: the amount, in the currency's minor units, above a limit.

conditions: {"amount_gt": int | null, "currency": "USD" (optional)}. A null limit reads
the merchant's `fraud_amount_threshold` setting (default 100000 minor units).
"""

from core.money import format_minor, is_currency
from fraud.rules.base import Context, Hit, invalid, reject_unknown, require_int

DEFAULT_CONDITIONS = {"amount_gt": None}


def validate(conditions: dict) -> dict:
    reject_unknown(conditions, {"amount_gt", "currency"})
    out = {"amount_gt": None}
    if conditions.get("amount_gt") is not None:
        out["amount_gt"] = require_int(conditions, "amount_gt", low=0, high=10**15)
    if "currency" in conditions:
        if not isinstance(conditions["currency"], str) or not is_currency(conditions["currency"].upper()):
            raise invalid("conditions.currency must be an ISO 4217 code.", "currency")
        out["currency"] = conditions["currency"].upper()
    return out


def evaluate(conditions: dict, points: int, ctx: Context) -> Hit | None:
    facts = ctx.facts
    if conditions.get("currency") and conditions["currency"] != facts.currency:
        return None
    limit = conditions.get("amount_gt")
    if limit is None:
        limit = ctx.settings["fraud_amount_threshold"]
    if facts.amount <= limit:
        return None
    # Said as people read money (analysts, the review's reasons); the data keeps minor units.
    said = f"amount {format_minor(facts.amount, facts.currency)} is above {format_minor(limit, facts.currency)}"
    return Hit(points, said, {"amount": facts.amount, "limit": limit})
