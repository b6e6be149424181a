"""`geolocation`: the IP's country against the billing, shipping and card countries.

conditions: {"compare": ["ip", "billing", "card"], "high_risk_countries": []}. Matches when
two of the compared countries that are known differ, or when any known one is high-risk.
The IP's country is read from the MaxMind-format database at GEOIP_DATABASE (fraud/geo.py);
without one, only the countries the payer gave are compared.
"""

from fraud.rules.base import Context, Hit, invalid, reject_unknown, require_subset

SOURCES = ("ip", "billing", "shipping", "card")
DEFAULT_CONDITIONS = {"compare": ["ip", "billing", "card"], "high_risk_countries": []}


def validate(conditions: dict) -> dict:
    reject_unknown(conditions, {"compare", "high_risk_countries"})
    compare = require_subset(conditions, "compare", SOURCES, default=DEFAULT_CONDITIONS["compare"])
    risky = conditions.get("high_risk_countries", [])
    if not isinstance(risky, list) or any(not isinstance(c, str) or len(c) != 2 or not c.isalpha() for c in risky):
        raise invalid("conditions.high_risk_countries must list ISO 3166-1 alpha-2 codes.", "high_risk_countries")
    return {"compare": compare, "high_risk_countries": sorted({c.upper() for c in risky})}


def countries(ctx: Context) -> dict:
    facts = ctx.facts
    return {
        "ip": ctx.ip_country,
        "billing": facts.billing_country,
        "shipping": facts.shipping_country,
        "card": facts.card_country,
    }


def evaluate(conditions: dict, points: int, ctx: Context) -> Hit | None:
    known = {source: country for source, country in countries(ctx).items() if country}
    risky = sorted({country for country in known.values() if country in conditions["high_risk_countries"]})
    if risky:
        return Hit(points, f"high-risk country {', '.join(risky)}", {"countries": known, "high_risk": risky})
    compared = {source: known[source] for source in conditions["compare"] if source in known}
    if len(set(compared.values())) > 1:
        pairs = ", ".join(f"{source} {country}" for source, country in compared.items())
        return Hit(points, f"countries do not match ({pairs})", {"countries": compared})
    return None
