from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from checkout.hosted.demo import demo_session_create, demo_shop_ensure
from checkout.hosted_links import EMBED_TOKEN_TTL, hosted_link, session_token
from merchants.management.commands.bootstrap_demo import DEMO_NAME
from merchants.models import Merchant


class Command(BaseCommand):
    help = "Give the demo merchant shipping and tax, create a fresh checkout session and print its hosted link."

    def handle(self, *args, **options):
        merchant = Merchant.objects.filter(name=DEMO_NAME).first()
        if merchant is None:
            raise CommandError(f"No {DEMO_NAME!r} merchant: run `manage.py bootstrap_demo` first.")
        demo_shop_ensure(merchant=merchant)
        session = demo_session_create(merchant=merchant)
        link = hosted_link(session)
        german = demo_session_create(merchant=merchant, locale="de_DE")
        embed = session_token(german, ttl=EMBED_TOKEN_TTL)
        embed_url = f"{settings.PUBLIC_BASE_URL}/static/demo/embed.html?" + urlencode(
            {"checkout": german.public_id, "token": embed.token}
        )
        # From another terminal the command needs the run's environment to hand out links
        # to the port the server is on (settings default to production and port 8000).
        manage = f"APP_ENV={settings.APP_ENV} PORT={settings.PORT} .venv/bin/python manage.py"
        self.stdout.write(
            "\n".join(
                [
                    "Demo checkout ready: " + session.public_id,
                    f"  Open   {link.url}",
                    "  Pay with 4242 4242 4242 4242, any future expiry date, any CVC.",
                    "  (3-D Secure: 4000 0027 6000 3184; insufficient funds: 4000 0000 0000 9995.)",
                    "  (Blocked as fraud: 4100 0000 0000 0019.)",
                    "  Or choose Pay in 4 and agree at the test provider (4000 0000 0000 0358 pays today,",
                    "  then declines every later charge); play the next eight weeks of the daily job with",
                    f"  `{manage} bnpl_charge_installments --until $(date -d +56days +%F)`",
                    "  (README: Buy now, pay later).",
                    f"  The link works until {link.expires_at:%H:%M} UTC; for a new one run, in another terminal:",
                    f"  {manage} demo_checkout",
                    f"Embedded on a shop's page, in German: {german.public_id}",
                    f"  Open   {embed_url}",
                    f"  (checkout.js mounts it with an embed token valid until {embed.expires_at:%H:%M} UTC.)",
                    "",
                ]
            )
        )
