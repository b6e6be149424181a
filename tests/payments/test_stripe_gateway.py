"""The Stripe adapter on the official SDK, against localstripe on loopback: the same API
flow as the simulator's, manual capture, refunds, 3-D Secure and signed webhooks. What
localstripe cannot produce (decline codes, outages) comes from recorded Stripe JSON."""

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
import requests
import stripe
from django.conf import settings

from payments.gateways import base
from payments.gateways.stripe import StripeGateway
from payments.models import GatewayEvent, PaymentAttempt, PaymentMethod, PaymentTransaction
from tests.celery_worker import wait_until
from tests.concurrency import run_together
from tests.conftest import MerchantClient
from tests.factories import merchant_with_keys
from tests.payments.conftest import STRIPE_WEBHOOK_SECRET
from tests.payments.helpers import (
    SUCCESS,
    THREE_DS,
    THREE_DS_THEN_DECLINE,
    V1,
    attach,
    calculated_session,
    confirm,
    create_intent,
    intent_url,
    ok,
    publishable_client,
)

pytestmark = pytest.mark.django_db
RECORDED = json.loads(Path(__file__).with_name("stripe_recorded.json").read_text())


def stripe_client():
    return stripe.StripeClient(settings.STRIPE_API_KEY, base_addresses={"api": settings.STRIPE_API_BASE})


def stripe_intent(our_intent_id) -> dict:
    reference = PaymentAttempt.objects.filter(transaction__public_id=our_intent_id).latest("number").gateway_reference
    return stripe_client().v1.payment_intents.retrieve(reference).to_dict()


def authenticate(our_intent_id, success=True):
    """What Stripe.js does in the shopper's browser after the 3-D Secure challenge."""
    remote = stripe_intent(our_intent_id)
    return requests.post(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{remote['id']}/_authenticate",
        data={"client_secret": remote["client_secret"], "success": "true" if success else "false", "key": "pk_test_x"},
        timeout=10,
    )


def stripe_js_card(number=SUCCESS) -> str:
    """What Stripe.js does in the shopper's browser with a card Element: the card goes to
    Stripe, a PaymentMethod id comes back. (localstripe takes this call with the secret key.)"""
    params = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    return stripe_client().v1.payment_methods.create(params=params).id


def stripe_card(client, number=SUCCESS) -> str:
    """A card for a Stripe merchant: created by "Stripe.js", then handed to us by its id."""
    body = {"type": "card", "payment_method": stripe_js_card(number)}
    return ok(client.post(f"{V1}/payment-methods/tokenize", body, format="json"), 201)["payment_method_id"]


def stripe_paid_intent(api, number=SUCCESS, **body):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"], **body)
    ok(attach(api, intent["id"], stripe_card(publishable_client(api), number)))
    return session, intent


def test_card_payment_by_api_on_stripe(stripe_api):
    session, intent = stripe_paid_intent(stripe_api)
    method = PaymentMethod.objects.get()
    assert method.gateway == "stripe" and method.token.startswith("pm_") and method.fingerprint
    paid = ok(confirm(stripe_api, intent["id"]))
    assert paid["status"] == "succeeded" and paid["gateway"] == "stripe" and paid["amount_received"] == 5000
    remote = stripe_intent(intent["id"])
    assert remote["status"] == "succeeded" and remote["amount"] == 5000 and remote["currency"] == "usd"
    assert remote["metadata"]["payment_intent"] == intent["id"]
    assert ok(stripe_api.get(f"{V1}/sessions/{session['checkout_id']}"))["payment_intent"]["status"] == "succeeded"


def test_card_numbers_are_refused_for_stripe_merchants(stripe_api):
    for client in (publishable_client(stripe_api), stripe_api):
        response = client.post(
            f"{V1}/payment-methods/tokenize",
            {"type": "card", "card": {"number": SUCCESS, "exp_month": 12, "exp_year": 2034, "cvc": "123"}},
            format="json",
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert (error["code"], error["param"]) == ("card_numbers_refused", "card")
        assert "Stripe.js" in error["message"] and '"payment_method": "pm_..."' in error["message"]
        assert SUCCESS not in response.content.decode()
    assert PaymentMethod.objects.count() == 0


def test_stripe_test_payment_method_ids_pay(stripe_api):
    """Stripe's documented server-side test cards (pm_card_visa …) stand in for Stripe.js."""
    session = calculated_session(stripe_api)
    intent = create_intent(stripe_api, session["checkout_id"])
    imported = ok(
        publishable_client(stripe_api).post(
            f"{V1}/payment-methods/tokenize", {"type": "card", "payment_method": "pm_card_visa"}, format="json"
        ),
        201,
    )
    assert imported["card"]["last4"] == "4242" and imported["card"]["brand"] == "visa"
    method = PaymentMethod.objects.get(public_id=imported["payment_method_id"])
    # Stripe answers the alias with a PaymentMethod of its own; that is what we keep and charge.
    assert method.token.startswith("pm_") and method.token != "pm_card_visa" and method.fingerprint
    paid = ok(confirm(stripe_api, intent["id"], imported["payment_method_id"]))
    assert paid["status"] == "succeeded" and stripe_intent(intent["id"])["payment_method"] == method.token

    # Attaches, then every charge is declined (localstripe has no other declining id).
    declined_session = calculated_session(stripe_api)
    declined_intent = create_intent(stripe_api, declined_session["checkout_id"])
    declined_card = ok(
        stripe_api.post(
            f"{V1}/payment-methods/tokenize",
            {"type": "card", "payment_method": "pm_card_chargeCustomerFail"},
            format="json",
        ),
        201,
    )["payment_method_id"]
    declined = confirm(stripe_api, declined_intent["id"], declined_card)
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "payment_declined"


def test_a_stripe_card_is_one_merchants(stripe_api):
    reference = stripe_js_card()
    body = {"type": "card", "payment_method": reference}
    first = ok(stripe_api.post(f"{V1}/payment-methods/tokenize", body, format="json"), 201)
    again = ok(stripe_api.post(f"{V1}/payment-methods/tokenize", body, format="json"), 201)
    assert first["payment_method_id"] == again["payment_method_id"] and PaymentMethod.objects.count() == 1

    other = MerchantClient(merchant_with_keys("Other Stripe Shop", gateway="stripe"))
    taken = other.post(f"{V1}/payment-methods/tokenize", body, format="json")
    assert taken.status_code == 404 and taken.json()["error"]["param"] == "payment_method"
    unknown = stripe_api.post(
        f"{V1}/payment-methods/tokenize", {"type": "card", "payment_method": "pm_nothing_here"}, format="json"
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "payment_method"
    for bad in (
        {"type": "card", "payment_method": "tok_visa"},
        {
            "type": "card",
            "payment_method": reference,
            "card": {"number": SUCCESS, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        },
    ):
        assert stripe_api.post(f"{V1}/payment-methods/tokenize", bad, format="json").status_code == 400
    assert PaymentMethod.objects.count() == 1


def test_payment_method_ids_are_for_stripe_merchants_only(api, stripe_settings):
    response = api.post(
        f"{V1}/payment-methods/tokenize", {"type": "card", "payment_method": "pm_card_visa"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "payment_method_unsupported"


def test_manual_capture_partial_and_refund_on_stripe(stripe_api):
    _, intent = stripe_paid_intent(stripe_api, capture_mode="manual")
    held = ok(confirm(stripe_api, intent["id"]))
    assert held["status"] == "requires_capture" and stripe_intent(intent["id"])["status"] == "requires_capture"
    captured = ok(stripe_api.post(intent_url(intent["id"], "capture"), {"amount": 3000}, format="json"))
    assert captured["status"] == "succeeded" and captured["amount_received"] == 3000
    assert stripe_intent(intent["id"])["status"] == "succeeded"

    reference = PaymentAttempt.objects.get().gateway_reference
    refund = StripeGateway().refund(reference=reference, amount=1000, idempotency_key=f"{intent['id']}:refund:1")
    assert (refund.status, refund.amount) == (base.SUCCEEDED, 1000) and refund.reference.startswith("re_")


def test_cancel_voids_the_stripe_authorization(stripe_api):
    _, intent = stripe_paid_intent(stripe_api, capture_mode="manual")
    ok(confirm(stripe_api, intent["id"]))
    assert ok(stripe_api.post(intent_url(intent["id"], "cancel"), {}, format="json"))["status"] == "canceled"
    assert stripe_intent(intent["id"])["status"] == "canceled"


def test_three_d_secure_passed_on_stripe(stripe_api):
    _, intent = stripe_paid_intent(stripe_api, THREE_DS)
    pending = ok(confirm(stripe_api, intent["id"]))
    assert pending["status"] == "requires_action"
    assert pending["next_action"]["type"] == "use_stripe_sdk"  # localstripe's answer; real Stripe redirects
    assert authenticate(intent["id"]).status_code == 200
    done = ok(stripe_api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json"))
    assert done["status"] == "succeeded"


def test_three_d_secure_failed_on_stripe(stripe_api):
    _, intent = stripe_paid_intent(stripe_api, THREE_DS)
    ok(confirm(stripe_api, intent["id"]))
    assert authenticate(intent["id"], success=False).status_code == 200
    failed = stripe_api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json")
    assert failed.status_code == 402 and failed.json()["error"]["code"] == "authentication_failed"
    # Then another card, same intent.
    assert ok(confirm(stripe_api, intent["id"], stripe_card(stripe_api, SUCCESS)))["status"] == "succeeded"


def test_three_d_secure_passed_then_declined_on_stripe(stripe_api):
    _, intent = stripe_paid_intent(stripe_api, THREE_DS_THEN_DECLINE)
    ok(confirm(stripe_api, intent["id"]))
    assert authenticate(intent["id"]).status_code == 402  # the charge after authentication is declined
    declined = stripe_api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json")
    assert declined.status_code == 402
    assert (declined.json()["error"]["code"], declined.json()["error"]["decline_code"]) == (
        "payment_declined",
        "generic_decline",
    )


def test_signed_webhooks_from_stripe(stripe_api, anon_api, httpserver, django_capture_on_commit_callbacks):
    httpserver.expect_request("/stripe-hooks", method="POST").respond_with_data("ok")
    registered = requests.post(
        f"{settings.STRIPE_API_BASE}/_config/webhooks/payments-tests",
        data={"url": httpserver.url_for("/stripe-hooks"), "secret": STRIPE_WEBHOOK_SECRET},
        timeout=10,
    )
    assert registered.status_code == 200
    _, intent = stripe_paid_intent(stripe_api)
    ok(confirm(stripe_api, intent["id"]))

    reference = PaymentAttempt.objects.get().gateway_reference

    def succeeded_delivery():
        # localstripe serves the whole run: pick this payment's event among any others.
        for request, _ in httpserver.log:
            sent = json.loads(request.get_data())
            if sent["type"] == "payment_intent.succeeded" and sent["data"]["object"]["id"] == reference:
                return request
        return None

    delivery = wait_until(succeeded_delivery, timeout=15)
    body, signature = delivery.get_data(), delivery.headers["Stripe-Signature"]

    with django_capture_on_commit_callbacks(execute=True):
        first = anon_api.post(
            f"{V1}/webhook/payment", body, content_type="application/json", headers={"Stripe-Signature": signature}
        )
    assert first.status_code == 200 and first.json()["duplicate"] is False
    event = GatewayEvent.objects.get()
    assert (event.gateway, event.type, event.status) == ("stripe", "payment_intent.succeeded", "processed")
    assert event.reference == reference
    again = anon_api.post(
        f"{V1}/webhook/payment", body, content_type="application/json", headers={"Stripe-Signature": signature}
    )
    assert again.json()["duplicate"] is True and GatewayEvent.objects.count() == 1

    tampered = body.replace(b'"amount": 5000', b'"amount": 1')
    bad = anon_api.post(
        f"{V1}/webhook/payment", tampered, content_type="application/json", headers={"Stripe-Signature": signature}
    )
    assert bad.status_code == 400 and GatewayEvent.objects.count() == 1


def _stripe_signature(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def test_recorded_payment_failed_event_and_a_stale_one(stripe_api, anon_api, django_capture_on_commit_callbacks):
    _, intent = stripe_paid_intent(stripe_api)
    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    payload = json.loads(json.dumps(RECORDED["event_payment_failed"]))
    now = int(time.time())
    payload["created"] = now
    payload["data"]["object"]["metadata"] = {"payment_intent": intent["id"], "attempt": "pa_none"}
    body = json.dumps(payload).encode()
    stale = _stripe_signature(body, STRIPE_WEBHOOK_SECRET, now - 301)
    headers = {"Stripe-Signature": stale}
    assert (
        anon_api.post(f"{V1}/webhook/payment", body, content_type="application/json", headers=headers).status_code
        == 400
    )
    wrong = {"Stripe-Signature": _stripe_signature(body, "whsec_other", now)}
    assert (
        anon_api.post(f"{V1}/webhook/payment", body, content_type="application/json", headers=wrong).status_code == 400
    )
    assert GatewayEvent.objects.count() == 0

    notice = StripeGateway().notice_from_payload(payload)
    assert notice.payment_intent == payment.public_id
    assert (notice.result.status, notice.result.failure_code, notice.result.decline_code) == (
        base.FAILED,
        "insufficient_funds",
        "insufficient_funds",
    )
    good = {"Stripe-Signature": _stripe_signature(body, STRIPE_WEBHOOK_SECRET, now)}
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            anon_api.post(f"{V1}/webhook/payment", body, content_type="application/json", headers=good).status_code
            == 200
        )
    assert GatewayEvent.objects.get().status == "processed"


@pytest.mark.parametrize(
    "case,code,decline_code",
    [
        ("generic_decline", "payment_declined", "generic_decline"),
        ("lost_card", "payment_declined", "lost_card"),
        ("insufficient_funds", "payment_declined", "insufficient_funds"),
        ("expired_card", "expired_card", "expired_card"),
        ("incorrect_cvc", "incorrect_cvc", "incorrect_cvc"),
        ("processing_error", "processing_error", "processing_error"),
        ("authentication_required", "authentication_required", "authentication_required"),
    ],
)
def test_recorded_declines_translate(stripe_api, stripe_settings, httpserver, case, code, decline_code):
    _, intent = stripe_paid_intent(stripe_api)
    httpserver.expect_request("/v1/payment_intents", method="POST").respond_with_json(
        RECORDED["card_errors"][case], status=402, headers={"Request-Id": "req_recorded"}
    )
    stripe_settings.STRIPE_API_BASE = httpserver.url_for("").rstrip("/")
    response = confirm(stripe_api, intent["id"])
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == ("card_error", code, decline_code)
    attempt = PaymentAttempt.objects.get()
    assert (attempt.status, attempt.gateway_reference) == ("failed", "pi_3PqRecordedABCDEF")
    # The outgoing idempotency key went to Stripe with the call.
    request, _ = httpserver.log[-1]
    assert request.headers["Idempotency-Key"] == attempt.idempotency_key


@pytest.mark.parametrize(
    "status,body,expected",
    [(500, "server_error", 502), (503, "server_error", 503), (429, "rate_limit", 503)],
)
def test_stripe_outages_are_gateway_unavailable(stripe_api, stripe_settings, httpserver, status, body, expected):
    _, intent = stripe_paid_intent(stripe_api)
    httpserver.expect_request("/v1/payment_intents", method="POST").respond_with_json(RECORDED[body], status=status)
    stripe_settings.STRIPE_API_BASE = httpserver.url_for("").rstrip("/")
    response = confirm(stripe_api, intent["id"])
    assert response.status_code == expected and response.json()["error"]["code"] == "gateway_unavailable"
    assert PaymentAttempt.objects.get().status == "unknown"
    assert ok(stripe_api.get(intent_url(intent["id"])))["status"] == "processing"


def test_stripe_unreachable_is_502_and_unconfigured_is_503(stripe_api, stripe_settings):
    _, intent = stripe_paid_intent(stripe_api)
    with socket_closed_port() as port:
        stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
        response = confirm(stripe_api, intent["id"])
    assert response.status_code == 502 and response.json()["error"]["code"] == "gateway_unavailable"
    stripe_settings.STRIPE_API_KEY = ""
    assert confirm(stripe_api, intent["id"]).status_code == 503


class socket_closed_port:
    """A loopback port nothing listens on."""

    def __enter__(self):
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


@pytest.mark.django_db(transaction=True)
def test_the_same_stripe_card_sent_twice_at_once_is_kept_once(stripe_api):
    reference = stripe_js_card()

    def send(_):
        response = stripe_api.post(
            f"{V1}/payment-methods/tokenize", {"type": "card", "payment_method": reference}, format="json"
        )
        return response.status_code, response.json().get("payment_method_id")

    results = run_together(4, send)
    assert {status for status, _ in results} == {201}
    assert len({method for _, method in results}) == 1 and PaymentMethod.objects.count() == 1
