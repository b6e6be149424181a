"""Data queries and background tasks per step of one whole checkout, in-process against
the benchmark database (as tests/checkout/test_query_budget.py counts them), after one
warm-up checkout. Prints one JSON object: {"queries": {step: n}, "simulator_queries":
{step: n}, "tasks": [names], "tables": {step: {table: n}}}. Tasks go to the broker as usual; their names are noted.
"""

import json
import os
import re
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from celery.app.task import Task  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)", re.IGNORECASE)
SIMULATOR = re.compile(r'"payments_simulator')
V1 = "/v1/checkout"
CART = {"currency": "USD", "lines": [
    {"sku": "MUG", "name": "Mug", "quantity": 2, "unit_amount": 1250, "requires_shipping": True},
    {"sku": "TEE", "name": "T-shirt", "quantity": 1, "unit_amount": 2000, "requires_shipping": True},
]}  # fmt: skip
ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "region": "IL",
           "postal_code": "62701", "country": "US"}  # fmt: skip
CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}


TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"|(pg_advisory_xact_lock)')


def by_table(statements) -> dict:
    """{first table a statement names: count}, most first: where a step's queries go."""
    tally = {}
    for sql in statements:
        match = TABLE.search(sql)
        name = (match.group(1) or match.group(2)) if match else "other"
        tally[name] = tally.get(name, 0) + 1
    return dict(sorted(tally.items(), key=lambda item: -item[1]))


def one_checkout(ids, tasks):
    queries, simulator, tables = {}, {}, {}
    secret = {"HTTP_AUTHORIZATION": f"Bearer {ids['secret_key']}"}
    public = {"HTTP_AUTHORIZATION": f"Bearer {ids['publishable_key']}"}
    client = Client()

    def step(name, method, path, body=None, auth=secret):
        headers = {**auth, "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex} if method == "post" else auth
        with CaptureQueriesContext(connection) as captured:
            if method == "post":
                response = client.post(path, json.dumps(body), content_type="application/json", **headers)
            else:
                response = client.get(path, **headers)
        if response.status_code >= 300:
            raise SystemExit(f"{name}: {response.status_code} {response.content[:300]!r}")
        data = [q["sql"] for q in captured.captured_queries if not CONTROL.match(q["sql"])]
        simulator[name] = sum(1 for sql in data if SIMULATOR.search(sql))
        queries[name] = len(data) - simulator[name]
        tables[name] = by_table(sql for sql in data if not SIMULATOR.search(sql))
        return response.json()

    checkout_steps(step, public)
    return queries, simulator, tables


def checkout_steps(step, public):
    """The ten calls of one checkout, each through `step(name, method, path, body=None,
    auth=...)`, which sends it and answers its JSON; `public` authenticates tokenize."""
    base = f"{V1}/sessions/" + step("create_session", "post", f"{V1}/sessions", CART)["checkout_id"]
    step("customer", "post", f"{base}/customer", {"email": f"q-{uuid.uuid4().hex[:8]}@example.com"})
    step("shipping_address", "post", f"{base}/shipping-address", ADDRESS)
    option = step("shipping_options", "get", f"{base}/shipping-options")["data"][0]["id"]
    step("select_shipping", "post", f"{base}/select-shipping", {"shipping_option_id": option})
    step("calculate", "post", f"{base}/calculate", {})
    intent = step("payment_intent", "post", f"{base}/payment-intents", {})["id"]
    method = step("tokenize", "post", f"{V1}/payment-methods/tokenize", CARD, auth=public)["payment_method_id"]
    step("confirm", "post", f"{V1}/payment-intents/{intent}/confirm", {"payment_method_id": method})
    step("finalize", "post", f"{base}/finalize", {})


def main():
    ids = json.loads(Path(sys.argv[1]).read_text())
    tasks = []
    original = Task.apply_async

    def noted(task, *args, **kwargs):
        tasks.append(task.name)
        return original(task, *args, **kwargs)

    Task.apply_async = noted
    one_checkout(ids, tasks)  # warms the process caches, as a running server has them
    tasks.clear()
    queries, simulator, tables = one_checkout(ids, tasks)
    print(json.dumps({"queries": queries, "simulator_queries": simulator, "tasks": tasks, "tables": tables}))


if __name__ == "__main__":
    main()
