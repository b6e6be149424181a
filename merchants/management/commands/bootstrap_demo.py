import json

from django.conf import settings
from django.core.management.base import BaseCommand

from merchants.models import Merchant
from merchants.services import merchant_create
from merchants.webhooks.services import callback_secret_reveal

DEMO_NAME = "Demo Store"


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
