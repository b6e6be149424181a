"""A velocity burst: ten confirms with one e-mail and one card, at once, from threads
against PostgreSQL. Each attempt must see the ones committed before it, so the ten
scores are exactly those of ten attempts in a row."""

import pytest

from fraud.models import FraudAssessment
from payments.simulator.models import SimulatorCharge
from tests.checkout.finalize_helpers import ready_session
from tests.checkout.test_finalize_concurrency import _run_together
from tests.conftest import MerchantClient
from tests.payments.helpers import attach, confirm, create_intent, ok, tokenize

pytestmark = pytest.mark.django_db(transaction=True)


def test_ten_concurrent_confirms_are_scored_as_ten_attempts_in_a_row(api, monkeypatch):
    import time

    from fraud import geo

    real_lookup = geo.ip_country

    def slow_lookup(ip):
        # Widens the window between taking the identity locks and counting, so attempts
        # that did not wait for each other would all count the same earlier ones.
        time.sleep(0.15)
        return real_lookup(ip)

    ok(api.get("/v1/checkout/fraud/rules"))  # defaults installed: only identities serialize
    intents = []
    for _ in range(10):
        session = ready_session(api, email="burst@example.com")
        intent = create_intent(api, session["checkout_id"])
        ok(attach(api, intent["id"], tokenize(api)))
        intents.append(intent["id"])

    monkeypatch.setattr(geo, "ip_country", slow_lookup)

    def call(index):
        response = confirm(MerchantClient(api.secrets), intents[index])
        return response.status_code, response.json()

    results = _run_together(10, call)
    assert all(not isinstance(result, Exception) for result in results), results
    scores = sorted(FraudAssessment.objects.filter(merchant=api.merchant).values_list("risk_score", flat=True))
    assert scores == [0, 0, 0, 0, 45, 45, 45, 45, 45, 80]
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 9 + [402], results
    held = [body for status, body in results if status == 200 and body["review"]]
    assert len(held) == 5 and all(body["status"] == "requires_capture" for body in held)
    blocked = [body for status, body in results if status == 402]
    assert blocked[0]["error"]["code"] == "fraud_block"
    # Nine authorizations reached the gateway (four captured, five held); the block did not.
    assert SimulatorCharge.objects.count() == 9
    assert SimulatorCharge.objects.filter(status="authorized").count() == 5
