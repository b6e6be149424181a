"""Queries and background tasks per step of a whole checkout by API, as the load harness
(bench/) runs it: so what the benchmark measures cannot creep back unnoticed.

Counted: data statements on the default connection in the request path (BEGIN, COMMIT
and savepoints left out), after a first checkout warmed the process caches as a running
server has them. The simulator stands in for a remote processor, so its own tables are
counted apart and asserted to stay small. Tasks queued by a step are run after it, outside
its count. Each step must cost the same for a 1-line and a 50-line cart.
"""

import re

import pytest
from celery.app.task import Task
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkout.models import Order, ShippingRate, TaxRate
from core import process_cache
from fraud.services import rules_ensure_defaults
from tests.payments.helpers import V1, publishable_client

pytestmark = pytest.mark.django_db(transaction=True)

CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)", re.IGNORECASE)
SIMULATOR = re.compile(r'"payments_simulator')
SIMULATOR_TASK = "payments.simulator_deliver"

# Data queries per step today. Lower one when a change lowers it; never raise one to let
# a change through without saying so in bench/README.md.
BUDGET = {
    # The session steps: the idempotency claim and store, the session locked with its
    # lines and addresses in one query, one UPDATE, and one INSERT for every row the change
    # leaves (lines, address or calculation, timeline, audit trail, outbox).
    "create_session": 4,
    "customer": 5,
    "shipping_address": 5,
    "shipping_options": 1,
    "select_shipping": 5,
    "calculate": 5,
    # The payment steps: bench/README.md says where their queries go.
    "payment_intent": 7,
    "tokenize": 3,
    "confirm": 20,
    "finalize": 10,
}
SIMULATOR_BUDGET = {"tokenize": 1, "confirm": 5}
# Ours per checkout: the gateway event's processing and the shopper's confirmation e-mail.
# The simulator's own webhook delivery is the stand-in processor's, counted apart. No
# merchant endpoint listens here, so no fan-out task.
TASKS_PER_CHECKOUT = 2
ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "region": "IL",
           "postal_code": "62701", "country": "US"}  # fmt: skip
CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}


class Recorder:
    """Holds back tasks a step queues, to run them after it (outside its count)."""

    def __init__(self, monkeypatch):
        self.queued, self.names = [], []

        def hold(task, args=None, kwargs=None, **options):
            self.queued.append((task, args or (), kwargs or {}))
            self.names.append(task.name)

        monkeypatch.setattr(Task, "apply_async", hold)

    def run_queued(self):
        for _ in range(20):  # tasks may queue tasks; bounded
            if not self.queued:
                return
            task, args, kwargs = self.queued.pop(0)
            task.run(*args, **kwargs)
        raise AssertionError("tasks kept queueing tasks")


def checkout(api, shopper_key, recorder, lines: int) -> dict:
    """One whole checkout; returns {step: (data queries, simulator queries)}."""
    counts = {}
    sequence = iter(range(1000))

    def step(name, client, method, path, body=None, status=200):
        headers = {"HTTP_IDEMPOTENCY_KEY": f"{name}-{lines}-{next(sequence)}"} if method == "post" else {}
        with CaptureQueriesContext(connection) as captured:
            if method == "post":
                response = client.post(path, body, format="json", **headers)
            else:
                response = client.get(path)
        assert response.status_code == status, response.content[:500]
        data = [q["sql"] for q in captured.captured_queries if not CONTROL.match(q["sql"])]
        simulator = [sql for sql in data if SIMULATOR.search(sql)]
        counts[name] = (len(data) - len(simulator), len(simulator))
        recorder.run_queued()
        return response.json()

    cart = {"currency": "USD", "lines": [
        {"sku": f"SKU-{i}", "name": f"Item {i}", "quantity": 1, "unit_amount": 1000, "requires_shipping": True}
        for i in range(lines)
    ]}  # fmt: skip
    session = step("create_session", api, "post", f"{V1}/sessions", cart, status=201)
    base = f"{V1}/sessions/{session['checkout_id']}"
    step("customer", api, "post", f"{base}/customer", {"email": "ada@example.com"})
    step("shipping_address", api, "post", f"{base}/shipping-address", ADDRESS)
    options = step("shipping_options", api, "get", f"{base}/shipping-options")
    step("select_shipping", api, "post", f"{base}/select-shipping", {"shipping_option_id": options["data"][0]["id"]})
    totals = step("calculate", api, "post", f"{base}/calculate", {})["totals"]
    assert totals["grand_total"] == lines * 1000 + lines * 73 + 599  # 7.25 % per line, rounded per line
    intent = step("payment_intent", api, "post", f"{base}/payment-intents", {}, status=201)
    method = step("tokenize", shopper_key, "post", f"{V1}/payment-methods/tokenize", CARD, status=201)
    paid = step("confirm", api, "post", f"{V1}/payment-intents/{intent['id']}/confirm",
                {"payment_method_id": method["payment_method_id"]})  # fmt: skip
    assert paid["status"] == "succeeded"
    order = step("finalize", api, "post", f"{base}/finalize", {}, status=201)["order"]
    assert order["payment_status"] == "captured"
    return counts


@pytest.fixture
def bench_merchant(api):
    """Set up as bench/setup_data.py does."""
    ShippingRate.objects.create(merchant=api.merchant, name="Ground", carrier="UPS", service_code="ground",
                                countries=["US"], currency="USD", amount=599)  # fmt: skip
    TaxRate.objects.create(merchant=api.merchant, country="US", tax_code="", rate_bps=725)
    rules_ensure_defaults(merchant_id=api.merchant.pk)  # fraud scoring on, its default rules in
    return api


def test_each_step_of_a_checkout_stays_within_its_query_budget_whatever_the_cart_size(bench_merchant, monkeypatch):
    api = bench_merchant
    # Counted with the process caches warm, as on a server between refreshes: on a loaded
    # machine the three checkouts can outlast the caches' age bound and add a read.
    monkeypatch.setattr(process_cache, "MAX_AGE_SECONDS", 3600)
    shopper_key = publishable_client(api)
    recorder = Recorder(monkeypatch)
    checkout(api, shopper_key, recorder, lines=2)  # a running server's caches are warm
    recorder.names.clear()

    small = checkout(api, shopper_key, recorder, lines=1)
    tasks = [name for name in recorder.names if name != SIMULATOR_TASK]
    large = checkout(api, shopper_key, recorder, lines=50)

    print("queries per step (1 line / 50 lines):", {name: (small[name], large[name]) for name in small})
    assert small == large, "a step's query count grows with the cart"
    for name, (ours, simulator) in small.items():
        assert ours <= BUDGET[name], (name, ours)
        assert simulator <= SIMULATOR_BUDGET.get(name, 0), (name, simulator)
    assert len(tasks) <= TASKS_PER_CHECKOUT, tasks
    assert Order.objects.filter(merchant=api.merchant).count() == 3
