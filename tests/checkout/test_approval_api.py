"""Placing the order and the merchant's approval (SPEC 6.1): POST place, approve, decline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import CheckoutSession
from merchants.models import Event
from tests.checkout.finalize_helpers import place, ready_session, session_url, set_merchant, timeline_types
from tests.payments.helpers import DIGITAL_CART, V1, create_intent, ok, shopper_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def approving(api):
    set_merchant(api.merchant, approval_mode="merchant", payment_time_limit_minutes=10)
    return api


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


def test_auto_mode_place_is_recorded_and_leaves_the_session_ready_to_pay(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    placed = ok(place(api, checkout_id))
    assert placed["status"] == session["status"] == "collecting"
    assert placed["version"] == session["version"] + 1
    assert "session.placed" in timeline_types(api, checkout_id)
    assert not Event.objects.filter(type="checkout.pending_approval").exists()
    assert create_intent(api, checkout_id)["amount"] == 5000


def test_place_with_the_session_client_token(api):
    session = ready_session(api)
    assert ok(place(shopper_client(session), session["checkout_id"]))["checkout_id"] == session["checkout_id"]


def test_place_refuses_a_session_with_blockers_and_writes_nothing(api):
    session = ready_session(api, email="")
    error = _error(place(api, session["checkout_id"]), 409, "session_not_ready")
    assert [b["code"] for b in error["blockers"]] == ["missing_email"]
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).version == session["version"]


def test_place_needs_current_totals(api):
    session = ok(api.post(f"{V1}/sessions", DIGITAL_CART, format="json"), 201)
    ok(api.post(session_url(session["checkout_id"], "customer"), {"email": "a@example.com"}, format="json"))
    error = _error(place(api, session["checkout_id"]), 409, "session_not_ready")
    assert "calculation_missing" in [b["code"] for b in error["blockers"]]


def test_place_bad_input_and_other_tenant(api, other_api):
    session = ready_session(api)
    response = api.post(session_url(session["checkout_id"], "place"), {"rush": True}, format="json")
    assert response.status_code == 400 and response.json()["error"]["param"] == "rush"
    _error(place(other_api, session["checkout_id"]), 404, "resource_missing")


def test_merchant_mode_place_waits_for_approval_and_sends_only_ids(approving):
    api = approving
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    before = timezone.now()
    placed = ok(place(api, checkout_id))
    assert placed["status"] == "awaiting_approval"

    row = CheckoutSession.objects.get(public_id=checkout_id)
    assert row.approval_requested_at >= before
    assert row.payment_deadline_at - row.approval_requested_at == timedelta(minutes=10)
    event = Event.objects.get(type="checkout.pending_approval", checkout_id=checkout_id)
    assert event.data == {"checkout_id": checkout_id, "merchant": api.merchant.public_id}

    # Not payable before the merchant's answer, and no longer editable.
    _error(api.post(session_url(checkout_id, "payment-intents"), {}, format="json"), 409, "approval_required")
    _error(place(api, checkout_id), 409, "invalid_state_transition")


def test_approve_then_pay(approving):
    api = approving
    checkout_id = ready_session(api)["checkout_id"]
    ok(place(api, checkout_id))
    placed_deadline = CheckoutSession.objects.get(public_id=checkout_id).payment_deadline_at

    approved = ok(api.post(session_url(checkout_id, "approve"), {}, format="json"))
    assert approved["status"] == "approved"
    row = CheckoutSession.objects.get(public_id=checkout_id)
    assert row.approved_at is not None and row.payment_deadline_at >= placed_deadline
    assert Event.objects.filter(type="checkout.approved", checkout_id=checkout_id).count() == 1
    assert create_intent(api, checkout_id)["amount"] == 5000
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "payment_processing"


def test_approve_is_for_secret_keys_only(approving):
    session = ready_session(approving)
    ok(place(approving, session["checkout_id"]))
    response = shopper_client(session).post(session_url(session["checkout_id"], "approve"), {}, format="json")
    assert response.status_code == 403
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).status == "awaiting_approval"


def test_approve_illegal_transitions(approving, other_api):
    api = approving
    checkout_id = ready_session(api)["checkout_id"]
    _error(api.post(session_url(checkout_id, "approve"), {}, format="json"), 409, "invalid_state_transition")
    ok(place(api, checkout_id))
    _error(other_api.post(session_url(checkout_id, "approve"), {}, format="json"), 404, "resource_missing")
    ok(api.post(session_url(checkout_id, "approve"), {}, format="json"))
    _error(api.post(session_url(checkout_id, "approve"), {}, format="json"), 409, "invalid_state_transition")
    _error(
        api.post(session_url(checkout_id, "decline"), {"reason": "x"}, format="json"), 409, "invalid_state_transition"
    )


def test_approve_after_the_time_limit_is_refused(approving):
    api = approving
    checkout_id = ready_session(api)["checkout_id"]
    ok(place(api, checkout_id))
    CheckoutSession.objects.filter(public_id=checkout_id).update(
        payment_deadline_at=timezone.now() - timedelta(seconds=1)
    )
    _error(api.post(session_url(checkout_id, "approve"), {}, format="json"), 409, "approval_deadline_passed")


def test_approve_replays_with_the_same_idempotency_key(approving):
    api = approving
    checkout_id = ready_session(api)["checkout_id"]
    ok(place(api, checkout_id))
    first = api.post(session_url(checkout_id, "approve"), {}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    again = api.post(session_url(checkout_id, "approve"), {}, format="json", HTTP_IDEMPOTENCY_KEY="approve-1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(type="checkout.approved", checkout_id=checkout_id).count() == 1


def test_decline_with_a_reason(approving):
    api = approving
    cart = {**DIGITAL_CART, "return_urls": {**DIGITAL_CART["return_urls"], "callback_url": "http://127.0.0.1:9/cb"}}
    checkout_id = ready_session(api, cart)["checkout_id"]
    ok(place(api, checkout_id))
    declined = ok(api.post(session_url(checkout_id, "decline"), {"reason": "Sold out, sorry."}, format="json"))
    assert (declined["status"], declined["status_reason"]) == ("declined", "Sold out, sorry.")
    event = Event.objects.get(type="checkout.declined", checkout_id=checkout_id)
    assert event.callback_url == "http://127.0.0.1:9/cb"
    _error(api.post(session_url(checkout_id, "approve"), {}, format="json"), 409, "invalid_state_transition")
    _error(api.post(session_url(checkout_id, "payment-intents"), {}, format="json"), 409, "approval_required")


@pytest.mark.parametrize(
    ("body", "param"),
    [({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "x" * 501}, "reason"), ({"reason": "x", "y": 1}, "y")],
)
def test_decline_bad_input_writes_nothing(approving, body, param):
    api = approving
    checkout_id = ready_session(api)["checkout_id"]
    ok(place(api, checkout_id))
    response = api.post(session_url(checkout_id, "decline"), body, format="json")
    assert response.status_code == 400 and response.json()["error"]["param"] == param
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "awaiting_approval"


def test_merchant_mode_cannot_pay_a_reserved_session_without_approval(approving):
    api = approving
    checkout_id = ready_session(api)["checkout_id"]
    ok(api.post(session_url(checkout_id, "reserve"), {}, format="json"), 201)
    _error(api.post(session_url(checkout_id, "payment-intents"), {}, format="json"), 409, "approval_required")
