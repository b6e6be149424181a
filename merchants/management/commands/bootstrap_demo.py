import json

from django.conf import settings
from django.core.management.base import BaseCommand

from fraud.models import FraudRule, RuleType
from fraud.rules.device import DEFAULT_CONDITIONS as DEVICE_DEFAULTS
from fraud.rules.velocity import DEFAULT_CONDITIONS as VELOCITY_DEFAULTS
from fraud.services import list_entry_create, rule_update, rules_ensure_defaults
from merchants.models import Merchant
from merchants.services import merchant_create
from merchants.webhooks.services import callback_secret_reveal
from payments.services.methods import payment_method_tokenize
from reconciliation.models import StatementSource

DEMO_NAME = "Demo Store"
# Stripe's test card for a payment its risk engine blocks; on the demo merchant's block list.
BLOCKED_TEST_CARD = "4100000000000019"


def fraud_for_one_tester(merchant: Merchant) -> None:
    """The demo is tried by one person, from one browser, with one e-mail and every test
    card: the platform's velocity tiers (5 attempts in 10 minutes) and its device rule
    (3 cards in 24 h) would block them within minutes. Every rule stays on; the attempt
    tiers are set for a tester's pace and the device rule counts more cards, and one
    test card is block-listed so a block can still be seen (README, "Trying it")."""
    rules_ensure_defaults(merchant_id=merchant.pk)
    tuned = {
        RuleType.VELOCITY: {
            **VELOCITY_DEFAULTS,
            "tiers": [{"min_count": 50, "score": 45}, {"min_count": 100, "score": 80}],
        },
        RuleType.DEVICE_FINGERPRINT: {**DEVICE_DEFAULTS, "min_cards": 20},
    }
    for rule in FraudRule.objects.filter(merchant=merchant, is_default=True, rule_type__in=tuned):
        rule_update(merchant_id=merchant.pk, rule_id=rule.public_id, data={"conditions": tuned[rule.rule_type]})
    card = payment_method_tokenize(
        merchant_id=merchant.pk, number=BLOCKED_TEST_CARD, exp_month=12, exp_year=2034, cvc="123"
    )
    list_entry_create(
        merchant_id=merchant.pk, list="block", kind="card_fingerprint", value=card.fingerprint,
        reason="Demo: the test card that shows a fraud block", actor="system:demo",
    )  # fmt: skip


class Command(BaseCommand):
    help = "Create the demo merchant of the run command if there is none, and print its keys."

    def handle(self, *args, **options):
        # Local-only convenience: the demo's secrets are kept in var/ (ignored by git) so the
        # run command can print them again; real merchants' secrets are shown only once.
        secrets_file = settings.VAR_DIR / "demo-merchant.json"
        merchant = Merchant.objects.filter(name=DEMO_NAME).first()
        if merchant is None or not secrets_file.exists():
            data = merchant_create(name=DEMO_NAME).as_dict()
            secrets_file.write_text(json.dumps(data, indent=2))
            demo = Merchant.objects.get(public_id=data["merchant_id"])
            fraud_for_one_tester(demo)
            # The daily reconciliation imports from the merchant's statement folder, where
            # `manage.py simulator_bank_statement` writes the test bank's files.
            StatementSource.objects.get_or_create(
                merchant=demo, name="Bank statements folder", defaults={"kind": "folder"}
            )
        data = json.loads(secrets_file.read_text())
        merchant = Merchant.objects.get(public_id=data["merchant_id"])
        # Read from the database, not the file: it is current after a rotation.
        callback_secret, _ = callback_secret_reveal(merchant_id=merchant.pk)
        base = settings.PUBLIC_BASE_URL
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Demo merchant ready: " + data["merchant_id"],
                    f"  Secret key           {data['secret_key']}",
                    f"  Publishable key      {data['publishable_key']}",
                    f"  OAuth2 client id     {data['oauth_client_id']}",
                    f"  OAuth2 client secret {data['oauth_client_secret']}",
                    f"  Callback secret      {callback_secret}   (verifies callbacks to callback_url)",
                    f"  API docs             {base}/v1/docs/",
                    f"  Try it:  curl -H 'Authorization: Bearer {data['secret_key']}' {base}/v1/checkout/settings",
                    "",
                ]
            )
        )
