"""Capture and void follow claim → call → record too: one key per operation, reused."""

import pytest
from django.utils import timezone

from payments.exceptions import GatewayUnavailable
from payments.gateways.simulator import SimulatorGateway
from payments.models import PaymentTransaction
from payments.services.maintenance import payments_settle_open
from payments.simulator.models import SimulatorCharge
from tests.payments.helpers import SUCCESS, confirm, intent_url, ok, paid_intent

pytestmark = pytest.mark.django_db


@pytest.fixture
def authorized(api):
    _, intent = paid_intent(api, SUCCESS, capture_mode="manual")
    ok(confirm(api, intent["id"]))
    return intent["id"]


def _capture_unanswered(monkeypatch, keys):
    original = SimulatorGateway.capture

    def lost(gateway, **kwargs):
        keys.append(kwargs["idempotency_key"])
        original(gateway, **kwargs)  # the processor captured; its answer was lost
        raise GatewayUnavailable()

    monkeypatch.setattr(SimulatorGateway, "capture", lost)


def test_retried_capture_reuses_its_key(api, authorized, monkeypatch):
    keys = []
    _capture_unanswered(monkeypatch, keys)
    first = api.post(intent_url(authorized, "capture"), {"amount": 2000}, format="json")
    assert first.status_code == 502
    payment = PaymentTransaction.objects.get(public_id=authorized)
    assert (payment.state, payment.pending_operation) == ("authorized", "capture")
    monkeypatch.undo()

    # Another amount while one capture is unsettled is refused.
    assert api.post(intent_url(authorized, "capture"), {"amount": 1000}, format="json").status_code == 409
    again = ok(api.post(intent_url(authorized, "capture"), {"amount": 2000}, format="json"))
    assert again["status"] == "succeeded" and again["amount_received"] == 2000
    charge = SimulatorCharge.objects.get()
    assert charge.operation_keys == keys and charge.amount_captured == 2000


def test_janitor_finishes_a_capture_left_without_an_answer(api, authorized, monkeypatch):
    keys = []
    _capture_unanswered(monkeypatch, keys)
    assert api.post(intent_url(authorized, "capture"), {}, format="json").status_code == 502
    monkeypatch.undo()
    assert payments_settle_open() == 1
    payment = PaymentTransaction.objects.get(public_id=authorized)
    assert (payment.state, payment.amount_captured, payment.pending_operation) == ("completed", 5000, "")
    assert SimulatorCharge.objects.get().operation_keys == keys


def test_a_capture_in_flight_is_409_to_others(api, authorized):
    PaymentTransaction.objects.filter(public_id=authorized).update(
        pending_operation="capture", pending_operation_key="k", pending_operation_amount=5000,
        pending_operation_at=timezone.now(),
    )  # fmt: skip
    response = api.post(intent_url(authorized, "capture"), {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "operation_in_progress"
    assert api.post(intent_url(authorized, "cancel"), {}, format="json").status_code == 409


def test_capture_bad_input(api, authorized):
    for body, param in (({"amount": 0}, "amount"), ({"amount": "x"}, "amount"), ({"amt": 1}, "amt")):
        response = api.post(intent_url(authorized, "capture"), body, format="json")
        assert response.status_code == 400 and response.json()["error"]["param"] == param
    assert PaymentTransaction.objects.get(public_id=authorized).state == "authorized"
