"""The Stripe adapter's refund, through the refunds API, against localstripe on loopback."""

import pytest

from refunds.models import RefundRequest
from tests.payments.helpers import V1, confirm, ok
from tests.payments.test_stripe_gateway import stripe_client, stripe_paid_intent
from tests.refunds.helpers import refund_detail, request_refund

pytestmark = pytest.mark.django_db


def test_partial_then_full_refund_on_stripe(stripe_api, django_capture_on_commit_callbacks):
    _, intent = stripe_paid_intent(stripe_api)
    assert ok(confirm(stripe_api, intent["id"]))["status"] == "succeeded"

    with django_capture_on_commit_callbacks(execute=True):
        first = ok(request_refund(stripe_api, intent["id"], amount=1200), 201)
    first = ok(refund_detail(stripe_api, first["id"]))
    assert first["status"] == "completed" and first["gateway_reference"].startswith("re_")
    remote = stripe_client().v1.refunds.retrieve(first["gateway_reference"]).to_dict()
    assert (remote["amount"], remote["status"]) == (1200, "succeeded")
    payment = ok(stripe_api.get(f"{V1}/payment-intents/{intent['id']}"))
    assert (payment["status"], payment["amount_refunded"]) == ("partially_refunded", 1200)

    with django_capture_on_commit_callbacks(execute=True):
        rest = ok(request_refund(stripe_api, intent["id"]), 201)
    assert ok(refund_detail(stripe_api, rest["id"]))["status"] == "completed"
    payment = ok(stripe_api.get(f"{V1}/payment-intents/{intent['id']}"))
    assert (payment["status"], payment["amount_refunded"]) == ("refunded", 5000)


# Stripe's answer to a refund it will not make (recorded from the API, ids shortened).
ALREADY_REFUNDED = {
    "error": {
        "code": "charge_already_refunded",
        "doc_url": "https://stripe.com/docs/error-codes/charge-already-refunded",
        "message": "Charge ch_3PqRRecordedABCDEF has already been refunded.",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_recorded",
        "type": "invalid_request_error",
    }
}


def test_stripe_refusing_a_refund_fails_it_and_got_our_key(
    stripe_api, stripe_settings, httpserver, django_capture_on_commit_callbacks
):
    _, intent = stripe_paid_intent(stripe_api)
    ok(confirm(stripe_api, intent["id"]))
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(
        ALREADY_REFUNDED, status=400, headers={"Request-Id": "req_recorded"}
    )
    stripe_settings.STRIPE_API_BASE = httpserver.url_for("").rstrip("/")
    with django_capture_on_commit_callbacks(execute=True):
        refund = ok(request_refund(stripe_api, intent["id"], amount=1000), 201)
    failed = ok(refund_detail(stripe_api, refund["id"]))
    assert failed["status"] == "failed" and failed["failure"]["code"] == "gateway_rejected"
    stored = RefundRequest.objects.get(public_id=refund["id"])
    assert not stored.outcome_unknown
    request, _ = httpserver.log[-1]
    assert request.headers["Idempotency-Key"] == stored.gateway_idempotency_key == f"{stored.public_id}:refund:1"
    assert ok(stripe_api.get(f"{V1}/payment-intents/{intent['id']}"))["amount_refunded"] == 0


def _pending_refund(refund_id: str, amount: int, payment_intent: str, status: str = "pending") -> dict:
    # Stripe's refund object (fields we read), as its API answers a refund not yet paid.
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": "usd",
        "payment_intent": payment_intent,
        "status": status,
        "failure_reason": "expired_or_canceled_card" if status == "failed" else None,
    }


def _deliver(anon_api, commit, event_type: str, refund: dict):
    import json
    import time

    from tests.payments.conftest import STRIPE_WEBHOOK_SECRET
    from tests.payments.test_stripe_gateway import _stripe_signature

    now = int(time.time())
    body = json.dumps(
        {
            "id": f"evt_{event_type}_{refund['id']}",
            "object": "event",
            "type": event_type,
            "created": now,
            "data": {"object": refund},
        }
    ).encode()
    with commit(execute=True):
        response = anon_api.post(
            f"{V1}/webhook/payment", body, content_type="application/json",
            headers={"Stripe-Signature": _stripe_signature(body, STRIPE_WEBHOOK_SECRET, now)},
        )  # fmt: skip
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("settled", ["succeeded", "failed"])
def test_a_pending_stripe_refund_waits_for_its_event(
    stripe_api, anon_api, stripe_settings, httpserver, django_capture_on_commit_callbacks, settled
):
    from payments.models import PaymentAttempt

    _, intent = stripe_paid_intent(stripe_api)
    ok(confirm(stripe_api, intent["id"]))
    stripe_pi = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference
    pending = _pending_refund("re_pending1", 1000, stripe_pi)
    httpserver.expect_request("/v1/refunds", method="POST").respond_with_json(pending)
    stripe_settings.STRIPE_API_BASE = httpserver.url_for("").rstrip("/")
    with django_capture_on_commit_callbacks(execute=True):
        refund = ok(request_refund(stripe_api, intent["id"], amount=1000), 201)

    waiting = ok(refund_detail(stripe_api, refund["id"]))
    assert waiting["status"] == "processing", "pending is not money back yet"
    assert ok(stripe_api.get(f"{V1}/payment-intents/{intent['id']}"))["amount_refunded"] == 0
    # Still reserved: nothing more than what is left may be asked for meanwhile.
    assert request_refund(stripe_api, intent["id"], amount=4500).status_code == 400

    event_type = "charge.refund.updated" if settled == "succeeded" else "refund.failed"
    _deliver(anon_api, django_capture_on_commit_callbacks, event_type, {**pending, "status": settled})

    done = ok(refund_detail(stripe_api, refund["id"]))
    refunded = ok(stripe_api.get(f"{V1}/payment-intents/{intent['id']}"))["amount_refunded"]
    if settled == "succeeded":
        assert (done["status"], refunded) == ("completed", 1000)
    else:
        assert (done["status"], refunded) == ("failed", 0)
