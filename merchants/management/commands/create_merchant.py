import json

from django.core.management.base import BaseCommand

from merchants.services import merchant_create


class Command(BaseCommand):
    help = "Create a merchant and print its id, API keys and OAuth2 client (secrets shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--json", action="store_true", help="Print the credentials as JSON.")
        parser.add_argument("--currency", default="USD", help="Default currency (ISO 4217).")

    def handle(self, *args, name, currency="USD", **options):
        secrets = merchant_create(
            name=name, default_currency=currency, supported_currencies=sorted({currency, "USD", "EUR", "GBP"})
        )
        data = secrets.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(self.style.SUCCESS(f"Merchant {data['name']} created: {data['merchant_id']}"))
        self.stdout.write("These secrets are shown once; store them now.")
        for label, key in (
            ("Secret key", "secret_key"),
            ("Publishable key", "publishable_key"),
            ("OAuth2 client id", "oauth_client_id"),
            ("OAuth2 client secret", "oauth_client_secret"),
            ("Callback secret", "callback_secret"),
        ):
            self.stdout.write(f"  {label:<21} {data[key]}")
        self.stdout.write(
            "The callback secret verifies the Standard Webhooks signature of callbacks to a session's "
            "callback_url; GET /v1/checkout/webhooks/callback-secret reads it again."
        )
