"""Shared steps of the fraud tests."""

from django.db import transaction

from core.ids import random_token
from fraud.models import FraudRule
from fraud.services import payment_assess, rules_ensure_defaults


def assess(merchant, **facts):
    """One payment attempt scored as payments scores it (inside a transaction)."""
    values = {"amount": 1000, "currency": "USD", "card_fingerprint": "fp_card_1", **facts}
    values.setdefault("payment_intent_id", f"pi_{random_token(12)}")
    with transaction.atomic():
        return payment_assess(merchant_id=merchant.pk, **values)


def only_rule(merchant, **rule):
    """Turns the platform defaults off and leaves one rule of the test's own."""
    rules_ensure_defaults(merchant_id=merchant.pk)
    FraudRule.objects.filter(merchant=merchant).update(is_active=False)
    return FraudRule.objects.create(merchant=merchant, **rule)


def build_geoip_database(path, networks: dict) -> str:
    """A tiny MaxMind-format Country database: {"81.2.69.0/24": "GB", …}."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-Country")
    for network, country in networks.items():
        writer.insert_network(IPSet([network]), {"country": {"iso_code": country, "names": {"en": country}}})
    writer.to_db_file(str(path))
    return str(path)
