"""Payment intent endpoints: amounts from the current calculation, tenants, credentials,
bad input and illegal transitions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checkout.selectors import payment_intent_summaries_for, session_list
from payments.models import PaymentTransaction
from payments.simulator import processor
from payments.simulator.models import SimulatorCharge
from tests.payments.helpers import (
    DECLINE,
    DIGITAL_CART,
    SUCCESS,
    THREE_DS,
    V1,
    attach,
    calculated_session,
    confirm,
    create_intent,
    intent_url,
    ok,
    paid_intent,
    publishable_client,
    shopper_client,
    tokenize,
)

pytestmark = pytest.mark.django_db


def test_intent_needs_a_calculation(api):
    session = ok(api.post(f"{V1}/sessions", DIGITAL_CART, format="json"), 201)
    response = api.post(f"{V1}/sessions/{session['checkout_id']}/payment-intents", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "calculation_missing"
    assert PaymentTransaction.objects.count() == 0


def test_intent_refuses_a_stale_calculation(api):
    session = calculated_session(api)
    lines = [{**DIGITAL_CART["lines"][0], "quantity": 3}]
    ok(api.patch(f"{V1}/sessions/{session['checkout_id']}", {"lines": lines}, format="json"))
    response = api.post(f"{V1}/sessions/{session['checkout_id']}/payment-intents", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "stale_calculation"
    ok(api.post(f"{V1}/sessions/{session['checkout_id']}/calculate", {}, format="json"))
    assert create_intent(api, session["checkout_id"])["amount"] == 4500


def test_intent_create_is_idempotent_and_moves_the_session_to_payment(api):
    session = calculated_session(api)
    first = create_intent(api, session["checkout_id"], metadata={"order": "A-1"})
    again = create_intent(api, session["checkout_id"])
    assert again["id"] == first["id"]
    body = ok(api.get(f"{V1}/sessions/{session['checkout_id']}"))
    assert body["status"] == "payment_processing"
    assert body["payment_intent"]["id"] == first["id"]
    # Paying has begun: the cart can no longer change under the amount.
    patch = api.patch(f"{V1}/sessions/{session['checkout_id']}", {"owner": "x"}, format="json")
    assert patch.status_code == 409
    payment = PaymentTransaction.objects.get(public_id=first["id"])
    assert payment.metadata == {"order": "A-1", "checkout_id": session["checkout_id"]}
    assert payment.reference == session["checkout_id"]


def test_intent_create_bad_input(api):
    session = calculated_session(api)
    url = f"{V1}/sessions/{session['checkout_id']}/payment-intents"
    assert api.post(url, {"capture_mode": "later"}, format="json").json()["error"]["param"] == "capture_mode"
    assert api.post(url, {"bogus": 1}, format="json").json()["error"]["param"] == "bogus"
    assert PaymentTransaction.objects.count() == 0


def test_another_tenant_sees_nothing(api, other_api):
    session, intent = paid_intent(api)
    for response in (
        other_api.get(intent_url(intent["id"])),
        confirm(other_api, intent["id"]),
        other_api.post(intent_url(intent["id"], "capture"), {}, format="json"),
        other_api.post(intent_url(intent["id"], "cancel"), {}, format="json"),
        other_api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json"),
        other_api.post(f"{V1}/sessions/{session['checkout_id']}/payment-intents", {}, format="json"),
        other_api.get(f"{V1}/sessions/{session['checkout_id']}/next-action"),
    ):
        assert response.status_code == 404, response.content
    # Another merchant's card token is as good as missing.
    foreign_method = tokenize(other_api)
    response = attach(api, intent["id"], foreign_method)
    assert response.status_code == 404 and response.json()["error"]["param"] == "payment_method_id"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "pending"


def test_the_session_client_token_acts_on_its_own_intent_only(api):
    session, intent = paid_intent(api)
    shopper = shopper_client(session)
    assert ok(shopper.get(intent_url(intent["id"])))["id"] == intent["id"]
    assert ok(shopper.get(f"{V1}/sessions/{session['checkout_id']}/next-action"))["payment_intent_id"] == intent["id"]
    other_session, other_intent = paid_intent(api)
    assert shopper.get(intent_url(other_intent["id"])).status_code == 404
    assert confirm(shopper, other_intent["id"]).status_code == 404
    # Capturing and cancelling are the merchant's, not the shopper's.
    assert shopper.post(intent_url(intent["id"], "cancel"), {}, format="json").status_code == 403
    assert ok(confirm(shopper, intent["id"]))["status"] == "succeeded"


def test_retrieving_an_intent_answers_what_creating_it_did(api):
    session = calculated_session(api)
    created = create_intent(api, session["checkout_id"])
    fetched = ok(api.get(intent_url(created["id"])))
    assert set(created) <= set(fetched) | {"unavailable_payment_methods"}
    for key in ("checkout_id", "calculation_id", "payment_methods", "status", "amount"):
        assert fetched[key] == created[key], key
    assert fetched["checkout_id"] == session["checkout_id"] and fetched["calculation_id"].startswith("calc")
    # The retrieved secret is the session's client token: it acts on this intent.
    assert fetched["client_secret"]
    browser = shopper_client({"client_token": fetched["client_secret"]})
    seen = ok(browser.get(intent_url(created["id"])))
    # The shopper's browser holds its token already; it is never handed one (as Stripe's).
    assert seen["id"] == created["id"] and seen["client_secret"] is None
    assert seen["checkout_id"] == session["checkout_id"]


def test_a_publishable_key_cannot_confirm(api):
    _, intent = paid_intent(api)
    assert confirm(publishable_client(api), intent["id"]).status_code == 403
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "pending"


def test_confirm_without_a_method_is_400(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    response = confirm(api, intent["id"])
    assert response.status_code == 400 and response.json()["error"]["code"] == "payment_method_required"
    assert confirm(api, intent["id"], "pm_missing").status_code == 404
    bad = api.post(intent_url(intent["id"], "confirm"), {"payment_method": "pm_x"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "payment_method"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).attempt_count == 0


def test_illegal_transitions_are_409(api):
    _, intent = paid_intent(api)
    capture = api.post(intent_url(intent["id"], "capture"), {}, format="json")
    assert capture.status_code == 409 and capture.json()["error"]["code"] == "invalid_state_transition"
    ok(confirm(api, intent["id"]))
    assert attach(api, intent["id"], tokenize(api)).status_code == 409
    switch = confirm(api, intent["id"], tokenize(api))
    assert switch.status_code == 409 and switch.json()["error"]["code"] == "invalid_state_transition"
    # Confirming again with the same method is an idempotent read.
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"


def test_three_d_secure_complete_asks_the_gateway(api):
    # Not transactional: nothing after commit runs, so only 3ds/complete can learn the result.
    session, intent = paid_intent(api, THREE_DS)
    pending = ok(confirm(api, intent["id"]))
    assert ok(api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json"))["status"] == "requires_action"
    processor.charge_authenticate(reference=SimulatorCharge.objects.get().reference, success=True)
    done = ok(api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json"))
    assert done["status"] == "succeeded" and done["next_action"] is None
    assert pending["next_action"]["redirect_to_url"]["url"].endswith(SimulatorCharge.objects.get().reference)


def test_three_d_secure_complete_refuses_a_claimed_outcome_and_an_unconfirmed_intent(api):
    session, intent = paid_intent(api, THREE_DS)
    unconfirmed = api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json")
    assert unconfirmed.status_code == 409, unconfirmed.content
    assert unconfirmed.json()["error"]["code"] == "invalid_state_transition"
    ok(confirm(api, intent["id"]))
    processor.charge_authenticate(reference=SimulatorCharge.objects.get().reference, success=False)
    # The outcome is the gateway's to say: a caller's claim is refused by name, not ignored.
    claimed = api.post(intent_url(intent["id"], "3ds/complete"), {"status": "succeeded"}, format="json")
    assert claimed.status_code == 400, claimed.content
    assert (claimed.json()["error"]["code"], claimed.json()["error"]["param"]) == ("parameter_invalid", "status")
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "requires_action"


def test_redirect_return_without_a_return_url_answers_json(api, anon_api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"], return_url="")
    PaymentTransaction.objects.filter(public_id=intent["id"]).update(return_url="")
    body = ok(anon_api.get(f"{V1}/redirect/return?payment_intent={intent['id']}"))
    assert body == {
        "payment_intent": intent["id"],
        "payment_intent_id": intent["id"],
        "checkout_id": session["checkout_id"],
        "status": "requires_payment_method",
    }
    assert anon_api.get(f"{V1}/redirect/return?payment_intent=pi_nope").status_code == 404
    # A shopper's browser gets a page, not JSON.
    page = anon_api.get(f"{V1}/redirect/return?payment_intent={intent['id']}", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "Payment not completed" in page.content.decode()


def test_creating_again_returns_the_same_intent_for_the_same_amount(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    assert confirm(api, intent["id"], tokenize(api, DECLINE)).status_code == 402
    # Same amount: the failed intent is still the one to retry.
    assert create_intent(api, session["checkout_id"])["id"] == intent["id"]
    assert ok(confirm(api, intent["id"], tokenize(api, SUCCESS)))["status"] == "succeeded"
    conflict = api.post(f"{V1}/sessions/{session['checkout_id']}/payment-intents", {}, format="json")
    assert conflict.status_code == 201  # paid for this amount already: the same intent again
    assert conflict.json()["id"] == intent["id"]


def test_session_list_reads_payment_summaries_in_one_query(api):
    for _ in range(3):
        paid_intent(api)
    sessions = list(session_list(merchant_id=api.merchant.pk))
    with CaptureQueriesContext(connection) as queries:
        summaries = payment_intent_summaries_for(sessions)
    assert len(queries) == 1 and len(summaries) == 3
    assert {summary["status"] for summary in summaries.values()} == {"requires_confirmation"}
    listed = ok(api.get(f"{V1}/sessions"))["data"]
    assert all(item["payment_intent"]["status"] == "requires_confirmation" for item in listed)
