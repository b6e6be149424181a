"""Run by test_local_run.py in a child process on the embedded defaults (SQLite, no
PostgreSQL): migrate, the demo bootstrap, and one card checkout through the API."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from tests.checkout.finalize_helpers import finalize, ready_session  # noqa: E402
from tests.conftest import MerchantClient  # noqa: E402
from tests.factories import merchant_with_keys  # noqa: E402
from tests.payments.helpers import attach, confirm, create_intent, ok, tokenize  # noqa: E402

assert connection.vendor == "sqlite", connection.vendor
call_command("migrate", verbosity=0)
call_command("bootstrap_demo", verbosity=0)
api = MerchantClient(merchant_with_keys("Local Shop"))
session = ready_session(api)
intent = create_intent(api, session["checkout_id"])
ok(attach(api, intent["id"], tokenize(api)))
assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
order = ok(finalize(api, session["checkout_id"]), 201)["order"]
print("paid order", order["id"], order["amount"])
