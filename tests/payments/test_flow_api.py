"""The issue's done-criterion, by API alone, on the simulator: success, decline then
retry, 3-D Secure pass and fail. Transactional, so what happens after commit (the
simulator's signed webhooks and 3-D Secure callback, checkout's payment listener,
merchant events) happens as in production."""

import re

import pytest
from django.test import Client

from checkout.models import CheckoutSession
from merchants.models import Event
from payments.models import GatewayEvent, PaymentEvent, PaymentTransaction
from payments.simulator.models import SimulatorCharge
from tests.payments.helpers import (
    DECLINE,
    EXPIRED,
    INCORRECT_CVC,
    INSUFFICIENT_FUNDS,
    PROCESSING_ERROR,
    SUCCESS,
    THREE_DS,
    THREE_DS_OTHER,
    THREE_DS_THEN_DECLINE,
    V1,
    attach,
    calculated_session,
    confirm,
    create_intent,
    intent_url,
    ok,
    publishable_client,
    tokenize,
)

pytestmark = pytest.mark.django_db(transaction=True)


def timeline_types(api, checkout_id):
    return [entry["type"] for entry in ok(api.get(f"{V1}/sessions/{checkout_id}/timeline"))["data"]]


def test_successful_card_payment_from_session_to_succeeded(api):
    session = calculated_session(api)
    checkout_id = session["checkout_id"]
    assert session["totals"]["grand_total"] == 5000

    intent = create_intent(api, checkout_id)
    assert intent["amount"] == 5000 and intent["currency"] == "USD"
    assert intent["status"] == "requires_payment_method"
    assert intent["calculation_id"] == session["calculation_id"]

    # The browser tokenizes with the publishable key; the number goes no further.
    method_id = tokenize(publishable_client(api), SUCCESS)
    assert ok(attach(api, intent["id"], method_id))["status"] == "requires_confirmation"
    paid = ok(confirm(api, intent["id"]))
    assert paid["status"] == "succeeded" and paid["amount_received"] == 5000
    assert paid["payment_method"]["card"] == {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034}

    session = ok(api.get(f"{V1}/sessions/{checkout_id}"))
    assert session["status"] == "payment_processing"  # ready to finalize
    assert session["payment_intent"] == {
        "id": intent["id"], "status": "succeeded", "amount": 5000, "currency": "USD", "next_action": None
    }  # fmt: skip
    assert "payment.succeeded" in timeline_types(api, checkout_id)
    assert Event.objects.filter(type="payment.succeeded", payment_intent_id=intent["id"]).count() == 1

    # The simulator's signed webhook arrived, was stored once and processed.
    event = GatewayEvent.objects.get(gateway="simulator", type="payment.succeeded")
    assert event.status == GatewayEvent.Status.PROCESSED
    log = list(PaymentEvent.objects.filter(transaction__public_id=intent["id"]).values_list("type", flat=True))
    assert log[:2] == ["state.pending", "payment_method.attached"]
    assert {"state.processing", "gateway.authorize", "state.completed", "webhook.received"} <= set(log)


def test_declined_card_then_retry_with_another(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])

    declined = confirm(api, intent["id"], tokenize(api, DECLINE))
    assert declined.status_code == 402
    error = declined.json()["error"]
    assert error["type"] == "card_error" and error["code"] == "payment_declined"
    assert error["decline_code"] == "generic_decline"
    assert error["payment_intent"] == {"id": intent["id"], "status": "requires_payment_method"}
    after = ok(api.get(intent_url(intent["id"])))
    assert after["last_payment_error"]["decline_code"] == "generic_decline"
    assert after["attempts_remaining"] == 2

    paid = ok(confirm(api, intent["id"], tokenize(api, SUCCESS)))
    assert paid["status"] == "succeeded" and paid["attempts"] == 2
    emitted = list(Event.objects.filter(payment_intent_id=intent["id"]).order_by("id").values_list("type", flat=True))
    assert emitted == ["payment.failed", "payment.succeeded"]
    failed = Event.objects.get(payment_intent_id=intent["id"], type="payment.failed").data
    assert failed["before"]["state"] == "processing" and failed["after"]["state"] == "failed"
    types = timeline_types(api, session["checkout_id"])
    assert types.index("payment.failed") < types.index("payment.succeeded")
    assert ok(api.get(f"{V1}/sessions/{session['checkout_id']}"))["status"] == "payment_processing"


@pytest.mark.parametrize(
    "number,code,decline_code",
    [
        (INSUFFICIENT_FUNDS, "payment_declined", "insufficient_funds"),
        (EXPIRED, "expired_card", "expired_card"),
        (INCORRECT_CVC, "incorrect_cvc", "incorrect_cvc"),
        (PROCESSING_ERROR, "processing_error", "processing_error"),
    ],
)
def test_each_decline_translates_to_its_error(api, number, code, decline_code):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    response = confirm(api, intent["id"], tokenize(api, number))
    assert response.status_code == 402
    assert (response.json()["error"]["code"], response.json()["error"]["decline_code"]) == (code, decline_code)


def _challenge(next_action):
    """The shopper's browser on the simulator's challenge page: returns (client, page path)."""
    url = next_action["redirect_to_url"]["url"]
    path = re.sub(r"^https?://[^/]+", "", url)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Complete authentication" in html and "Fail authentication" in html
    return browser, path


def _answer(browser, path, result):
    token = browser.cookies["csrftoken"].value
    return browser.post(path, {"result": result, "csrfmiddlewaretoken": token})


@pytest.mark.parametrize("number", [THREE_DS, THREE_DS_OTHER])
def test_three_d_secure_passed(api, number):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    pending = ok(confirm(api, intent["id"], tokenize(api, number)))
    assert pending["status"] == "requires_action"
    next_action = pending["next_action"]
    assert next_action["type"] == "redirect" and next_action["reason"] == "3ds_challenge"
    assert next_action["url"] == next_action["redirect_to_url"]["url"]
    assert "/simulator/3ds/" in next_action["redirect_to_url"]["url"]
    assert next_action["redirect_to_url"]["return_url"] == "https://shop.example/thanks"
    told = ok(api.get(f"{V1}/sessions/{session['checkout_id']}/next-action"))
    assert told["status"] == "requires_action" and told["next_action"] == next_action

    browser, path = _challenge(next_action)
    back = _answer(browser, path, "complete")
    assert back.status_code == 303 and "/v1/checkout/redirect/return?payment_intent=" in back["Location"]
    onward = browser.get(re.sub(r"^https?://[^/]+", "", back["Location"]))
    assert onward.status_code == 302
    assert onward["Location"] == (
        f"https://shop.example/thanks?payment_intent={intent['id']}&redirect_status=succeeded"
    )
    assert ok(api.get(intent_url(intent["id"])))["status"] == "succeeded"
    # The client's own 3ds/complete afterwards is a harmless no-op.
    assert ok(api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json"))["status"] == "succeeded"
    assert GatewayEvent.objects.filter(type="three_d_secure.completed", status="processed").count() == 1
    types = timeline_types(api, session["checkout_id"])
    assert types.index("payment.requires_action") < types.index("payment.succeeded")
    emitted = set(Event.objects.filter(payment_intent_id=intent["id"]).values_list("type", flat=True))
    assert emitted == {"payment.requires_action", "payment.succeeded"}
    assert ok(api.get(f"{V1}/sessions/{session['checkout_id']}/next-action"))["next_action"] is None


def test_three_d_secure_failed(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    pending = ok(confirm(api, intent["id"], tokenize(api, THREE_DS)))
    browser, path = _challenge(pending["next_action"])
    assert _answer(browser, path, "fail").status_code == 303

    failed = api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json")
    assert failed.status_code == 402 and failed.json()["error"]["code"] == "authentication_failed"
    body = ok(api.get(intent_url(intent["id"])))
    assert body["status"] == "requires_payment_method"
    assert body["last_payment_error"]["code"] == "authentication_failed"
    # And the shopper may still pay with another card.
    assert ok(confirm(api, intent["id"], tokenize(api, SUCCESS)))["status"] == "succeeded"


def test_three_d_secure_passed_then_declined(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    pending = ok(confirm(api, intent["id"], tokenize(api, THREE_DS_THEN_DECLINE)))
    browser, path = _challenge(pending["next_action"])
    _answer(browser, path, "complete")
    body = ok(api.get(intent_url(intent["id"])))
    assert body["status"] == "requires_payment_method"
    assert body["last_payment_error"] == {"code": "card_declined", "decline_code": "generic_decline", "message": None}
    charge = SimulatorCharge.objects.get(
        reference=PaymentTransaction.objects.get(public_id=intent["id"]).attempts.get().gateway_reference
    )
    assert charge.status == "failed"


def test_manual_capture_then_partial_capture(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"], capture_mode="manual")
    held = ok(confirm(api, intent["id"], tokenize(api, SUCCESS)))
    assert held["status"] == "requires_capture" and held["state"] == "authorized"
    assert held["amount_capturable"] == 5000 and held["amount_received"] == 0
    assert held["authorization_expires_at"]
    assert "payment.authorized" in timeline_types(api, session["checkout_id"])
    assert Event.objects.filter(type="payment.authorized", payment_intent_id=intent["id"]).count() == 1

    too_much = api.post(intent_url(intent["id"], "capture"), {"amount": 5001}, format="json")
    assert too_much.status_code == 400 and too_much.json()["error"]["param"] == "amount"
    captured = ok(api.post(intent_url(intent["id"], "capture"), {"amount": 3000}, format="json"))
    assert captured["status"] == "succeeded" and captured["amount_received"] == 3000
    assert captured["amount_capturable"] == 0
    again = api.post(intent_url(intent["id"], "capture"), {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state_transition"
    assert Event.objects.filter(type="payment.succeeded", payment_intent_id=intent["id"]).count() == 1


def test_cancel_voids_an_authorization_and_fails_the_session(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"], capture_mode="manual")
    ok(confirm(api, intent["id"], tokenize(api, SUCCESS)))
    canceled = ok(api.post(intent_url(intent["id"], "cancel"), {"reason": "out of stock"}, format="json"))
    assert canceled["status"] == "canceled"
    assert SimulatorCharge.objects.get().status == "canceled"
    assert ok(api.get(f"{V1}/sessions/{session['checkout_id']}"))["status"] == "failed"
    assert Event.objects.filter(type="payment.canceled", payment_intent_id=intent["id"]).count() == 1
    again = api.post(intent_url(intent["id"], "cancel"), {}, format="json")
    assert again.status_code == 409


def test_cancel_a_pending_intent_and_a_succeeded_one_is_409(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    assert ok(api.post(intent_url(intent["id"], "cancel"), {}, format="json"))["status"] == "canceled"
    assert confirm(api, intent["id"], tokenize(api)).status_code == 409

    other = calculated_session(api)
    paid = create_intent(api, other["checkout_id"])
    ok(confirm(api, paid["id"], tokenize(api)))
    response = api.post(intent_url(paid["id"], "cancel"), {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_state_transition"


def test_attempt_limit_then_409_and_the_session_fails(api):
    api.merchant.max_payment_attempts = 2
    api.merchant.save()
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    declined = tokenize(api, DECLINE)
    assert confirm(api, intent["id"], declined).status_code == 402
    last = confirm(api, intent["id"], tokenize(api, INSUFFICIENT_FUNDS))
    assert last.status_code == 402 and last.json()["error"]["payment_intent"]["status"] == "failed"
    exhausted = confirm(api, intent["id"], tokenize(api, SUCCESS))
    assert exhausted.status_code == 409 and exhausted.json()["error"]["code"] == "attempts_exhausted"
    assert attach(api, intent["id"], declined).status_code == 409
    assert ok(api.get(intent_url(intent["id"])))["status"] == "failed"
    assert ok(api.get(f"{V1}/sessions/{session['checkout_id']}"))["status"] == "failed"
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).status_reason == "The payment failed."
