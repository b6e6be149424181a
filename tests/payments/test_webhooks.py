"""Inbound gateway webhooks: verified before stored, stored once, processed after commit,
and converging whatever order the events come in."""

import json
import time

import pytest

from payments.gateways import base
from payments.gateways.simulator import SimulatorGateway
from payments.models import GatewayEvent, PaymentAttempt, PaymentTransaction
from payments.services import outcomes, webhooks
from payments.simulator.signing import SIGNATURE_HEADER, signature_header
from tests.payments.helpers import confirm, intent_url, ok, paid_intent

pytestmark = pytest.mark.django_db

URL = "/v1/checkout/webhook/payment"


def simulator_event(event_id, status, *, payment_intent="pi_x", attempt="", reference="sim_pi_x", type=None):
    return {
        "id": event_id,
        "type": type or f"payment.{status}",
        "created": int(time.time()),
        "data": {
            "object": {
                "object": "simulator.charge", "reference": reference, "status": status, "amount": 5000,
                "amount_captured": 5000 if status == "succeeded" else 0, "amount_refunded": 0, "currency": "USD",
                "capture": True, "failure_code": "", "decline_code": "",
                "next_action_url": "http://127.0.0.1:8000/simulator/3ds/x" if status == "requires_action" else "",
                "metadata": {"payment_intent": payment_intent, "attempt": attempt},
            }
        },
    }  # fmt: skip


def post(client, payload, *, timestamp=None, signature=None):
    body = json.dumps(payload).encode()
    header = signature if signature is not None else signature_header(body, timestamp=timestamp)
    return client.post(URL, body, content_type="application/json", headers={SIGNATURE_HEADER: header})


@pytest.fixture
def processing(api, monkeypatch):
    """An intent whose confirm reached the gateway, which answered 'processing': its
    outcome will come by webhook."""

    def later(gateway, request):
        return base.GatewayResult(status=base.PROCESSING, reference="sim_pi_async")

    monkeypatch.setattr(SimulatorGateway, "authorize", later)
    _, intent = paid_intent(api)
    assert ok(confirm(api, intent["id"]))["status"] == "processing"
    monkeypatch.undo()
    attempt = PaymentAttempt.objects.get(transaction__public_id=intent["id"])
    return intent["id"], attempt


def test_valid_webhook_is_stored_and_processed_after_commit(anon_api, processing, django_capture_on_commit_callbacks):
    intent_id, attempt = processing
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            anon_api, simulator_event("evt_1", "succeeded", payment_intent=intent_id, attempt=attempt.public_id)
        )
    assert response.status_code == 200 and response.json() == {
        "received": True,
        "duplicate": False,
        "event_id": "evt_1",
    }
    event = GatewayEvent.objects.get()
    assert (event.gateway, event.status, event.reference) == ("simulator", "processed", "sim_pi_x")
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "completed"


def test_a_stored_event_waits_for_the_commit(anon_api, processing):
    intent_id, attempt = processing
    # Inside the test's transaction nothing commits: stored, not yet processed.
    assert post(anon_api, simulator_event("evt_1", "succeeded", payment_intent=intent_id)).status_code == 200
    assert GatewayEvent.objects.get().status == "received"
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "processing"


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "t=1700000000,v1=deadbeef",
        "v1=abc",
        "t=notanumber,v1=abc",
    ],
)
def test_bad_signature_is_400_and_stores_nothing(anon_api, signature):
    response = post(anon_api, simulator_event("evt_bad", "succeeded"), signature=signature)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_signature_invalid"
    assert GatewayEvent.objects.count() == 0


def test_tampered_body_is_400(anon_api):
    payload = simulator_event("evt_t", "succeeded")
    header = signature_header(json.dumps(payload).encode())
    payload["data"]["object"]["amount"] = 1
    assert post(anon_api, payload, signature=header).status_code == 400
    assert GatewayEvent.objects.count() == 0


def test_stale_timestamp_is_400(anon_api):
    response = post(anon_api, simulator_event("evt_old", "succeeded"), timestamp=int(time.time()) - 301)
    assert response.status_code == 400 and GatewayEvent.objects.count() == 0
    assert post(anon_api, simulator_event("evt_ok", "succeeded"), timestamp=int(time.time()) - 290).status_code == 200


def test_no_gateway_signature_header_is_400(anon_api):
    response = anon_api.post(URL, {"id": "evt"}, format="json")
    assert response.status_code == 400 and GatewayEvent.objects.count() == 0


def test_duplicate_delivery_is_stored_once(anon_api, processing, django_capture_on_commit_callbacks):
    intent_id, attempt = processing
    payload = simulator_event("evt_dup", "succeeded", payment_intent=intent_id, attempt=attempt.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(anon_api, payload).json()["duplicate"] is False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post(anon_api, payload).json()["duplicate"] is True
    assert callbacks == []  # nothing queued for a duplicate
    assert GatewayEvent.objects.count() == 1
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert payment.state == "completed" and payment.events.filter(type="state.completed").count() == 1


@pytest.mark.parametrize("order", [("succeeded", "requires_action"), ("requires_action", "succeeded")])
def test_out_of_order_events_end_in_the_same_state(
    api, anon_api, processing, order, django_capture_on_commit_callbacks
):
    intent_id, attempt = processing
    for index, status in enumerate(order):
        with django_capture_on_commit_callbacks(execute=True):
            payload = simulator_event(f"evt_{index}", status, payment_intent=intent_id, attempt=attempt.public_id)
            assert post(anon_api, payload).status_code == 200
    assert ok(api.get(intent_url(intent_id)))["status"] == "succeeded"
    attempt.refresh_from_db()
    assert attempt.status == "succeeded"
    assert GatewayEvent.objects.filter(status="processed").count() == 2


def test_a_late_failure_of_a_replaced_attempt_changes_nothing(
    api, anon_api, processing, django_capture_on_commit_callbacks
):
    intent_id, first = processing
    with django_capture_on_commit_callbacks(execute=True):
        post(anon_api, simulator_event("evt_f", "failed", payment_intent=intent_id, attempt=first.public_id))
    assert ok(confirm(api, intent_id)).get("status") == "succeeded"  # a second attempt, same card
    with django_capture_on_commit_callbacks(execute=True):
        post(anon_api, simulator_event("evt_f2", "failed", payment_intent=intent_id, attempt=first.public_id))
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert payment.state == "completed" and payment.events.filter(type="outcome.ignored").exists()


def test_marked_processed_only_after_the_handler_committed(anon_api, processing, monkeypatch):
    intent_id, attempt = processing
    post(anon_api, simulator_event("evt_h", "succeeded", payment_intent=intent_id, attempt=attempt.public_id))
    event = GatewayEvent.objects.get()
    original = outcomes.outcome_apply

    def broken(*args, **kwargs):
        original(*args, **kwargs)  # its writes happen, then the handler fails: all rolled back
        raise RuntimeError("handler crashed")

    monkeypatch.setattr(webhooks, "outcome_apply", broken)
    with pytest.raises(RuntimeError):
        webhooks.gateway_event_process(event_pk=event.pk)
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", 1) and "handler crashed" in event.last_error
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "processing"

    monkeypatch.undo()
    assert webhooks.gateway_event_reprocess(event_pk=event.pk) == "processed"
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == ("processed", 2, "")
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "completed"
    # A second run (a redelivered task) does nothing.
    assert webhooks.gateway_event_process(event_pk=event.pk) == "processed"
    assert PaymentTransaction.objects.get(public_id=intent_id).events.filter(type="state.completed").count() == 1


def test_event_naming_no_payment_of_ours_is_processed_and_ignored(anon_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post(anon_api, simulator_event("evt_stranger", "succeeded", payment_intent="pi_unknown")).status_code == 200
        )
    assert GatewayEvent.objects.get().status == "processed"


def test_three_d_secure_callback_endpoint_applies_at_once(api, anon_api):
    from payments.simulator.models import SimulatorCharge
    from tests.payments.helpers import THREE_DS

    _, intent = paid_intent(api, THREE_DS)
    ok(confirm(api, intent["id"]))
    attempt = PaymentAttempt.objects.get()
    charge = SimulatorCharge.objects.get()
    payload = simulator_event(
        "evt_3ds", "succeeded", payment_intent=intent["id"], attempt=attempt.public_id,
        reference=charge.reference, type="three_d_secure.completed",
    )  # fmt: skip
    body = json.dumps(payload).encode()
    url = "/v1/checkout/3ds/callback"
    bad = anon_api.post(url, body, content_type="application/json", headers={SIGNATURE_HEADER: "t=1,v1=00"})
    assert bad.status_code == 400 and GatewayEvent.objects.count() == 0
    good = anon_api.post(url, body, content_type="application/json", headers={SIGNATURE_HEADER: signature_header(body)})
    assert good.status_code == 200 and good.json()["event_id"] == "evt_3ds"
    # Applied in the request itself, not after commit.
    assert ok(api.get(intent_url(intent["id"])))["status"] == "succeeded"
    assert GatewayEvent.objects.get().status == "processed"
