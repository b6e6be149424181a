"""Fresh benchmark database state: one merchant with a rate table and tax rates.

Prints the merchant's credentials as JSON on its last line.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from checkout.models import ShippingRate, TaxRate  # noqa: E402
from merchants.services import merchant_create  # noqa: E402

call_command("migrate", verbosity=0)
secrets = merchant_create(name="Bench Store")
merchant = secrets.merchant
ShippingRate.objects.create(
    merchant=merchant, name="Ground", carrier="UPS", service_code="ground", countries=["US"], currency="USD", amount=599
)
ShippingRate.objects.create(
    merchant=merchant,
    name="Express",
    carrier="UPS",
    service_code="express",
    countries=["US"],
    currency="USD",
    amount=1599,
)
TaxRate.objects.create(merchant=merchant, country="US", tax_code="", rate_bps=725)

# Every virtual shopper pays with the same test card from the same address: fraud scoring
# still runs in full, but the velocity tiers are out of reach, as for a merchant whose
# traffic is known to be one load generator.
from fraud.models import FraudRule  # noqa: E402
from fraud.services import rules_ensure_defaults  # noqa: E402
from merchants.selectors import CARD_RATE_LIMIT_MAX  # noqa: E402

rules_ensure_defaults(merchant_id=merchant.pk)
# Likewise the card-testing limits: thousands of tokenize calls from one key and one IP.
merchant.extra_settings = {
    **merchant.extra_settings,
    "card_rate_limit_per_key": CARD_RATE_LIMIT_MAX,
    "card_rate_limit_per_ip": CARD_RATE_LIMIT_MAX,
}
merchant.save(update_fields=["extra_settings"])
for rule in FraudRule.objects.filter(merchant=merchant, rule_type="velocity"):
    rule.conditions = {**rule.conditions, "tiers": [{"min_count": 10**9, "score": 45}]}
    rule.save(update_fields=["conditions"])
print(json.dumps(secrets.as_dict()))
