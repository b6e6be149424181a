"""By API alone: block an e-mail and see the payment refused, hold a large payment for
review and approve it into an order, reject another and see it voided, list the rules
that fired; a review nobody decides lapses with its authorization."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import CheckoutSession
from fraud.models import FraudAlert, FraudAssessment
from merchants.models import Event
from payments.models import PaymentEvent, PaymentTransaction
from payments.services.maintenance import payments_expire_due
from payments.simulator.models import SimulatorCharge
from tests.checkout.finalize_helpers import finalize, ready_session, session_url, status_of
from tests.payments.helpers import DIGITAL_CART, V1, attach, confirm, create_intent, intent_url, ok, tokenize

pytestmark = pytest.mark.django_db

BIG_CART = {
    **DIGITAL_CART,
    "lines": [{"sku": "RING", "name": "Ring", "quantity": 1, "unit_amount": 150000, "requires_shipping": False}],
}


def _confirm_session(api, checkout_id):
    intent = create_intent(api, checkout_id)
    ok(attach(api, intent["id"], tokenize(api)))
    return intent["id"], confirm(api, intent["id"])


def _held(api, email="big@example.com"):
    session = ready_session(api, BIG_CART, email=email)
    intent_id, response = _confirm_session(api, session["checkout_id"])
    body = ok(response)
    return session["checkout_id"], intent_id, body


def test_a_blocked_email_is_refused_with_fraud_block_and_never_reaches_the_gateway(api):
    entry = ok(
        api.post(
            f"{V1}/fraud/list-entries",
            {"list": "block", "kind": "email", "value": "Mallory@Example.com"},
            format="json",
        ),
        201,
    )
    assert entry["value"] == "mallory@example.com"
    session = ready_session(api, email="mallory@example.com")
    intent_id, response = _confirm_session(api, session["checkout_id"])

    assert response.status_code == 402, response.content
    error = response.json()["error"]
    assert error["code"] == "fraud_block" and error["message"] == "The payment was declined."
    assert "block" not in error["message"].lower() or "list" not in error["message"].lower()
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert payment.state == "failed" and payment.last_error["code"] == "fraud_block"
    attempt = payment.attempts.get()
    assert (attempt.status, attempt.failure_code, attempt.call_count) == ("failed", "fraud_block", 0)
    assert not SimulatorCharge.objects.exists(), "nothing may be sent to the gateway"
    logged = PaymentEvent.objects.get(transaction=payment, type="fraud.assessed")
    assert logged.data["action"] == "block" and logged.data["reasons"] == ["on the block list (email)"]
    assessment = FraudAssessment.objects.get(public_id=logged.data["assessment_id"])
    assert assessment.status == "blocked" and assessment.risk_score == 100
    assert FraudAlert.objects.filter(assessment=assessment, kind="blocked").exists()
    # The merchant sees which rules fired.
    shown = ok(api.get(f"{V1}/fraud/assessments/{assessment.public_id}"))
    assert shown["recommended_action"] == "cancel"
    assert [m["rule_type"] for m in shown["rule_matches"]] == ["blacklist"]
    assert shown["alerts"][0]["kind"] == "blocked"
    # Confirming again answers the same decline.
    again = confirm(api, intent_id)
    assert again.status_code == 402 and again.json()["error"]["code"] == "fraud_block"


def test_a_large_payment_is_held_then_approved_captured_and_finalized(api):
    checkout_id, intent_id, body = _held(api)
    assert body["status"] == "requires_capture" and body["capture_mode"] == "auto"
    review = body["review"]
    assert review["status"] == "open" and review["reasons"] == ["amount $1,500.00 is above $1,000.00"]
    charge = SimulatorCharge.objects.get()
    assert charge.status == "authorized", "held: authorized, not captured"
    assert Event.objects.filter(type="review.opened", payment_intent_id=intent_id).exists()

    refused = finalize(api, checkout_id)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "fraud_review_pending"
    capture = api.post(intent_url(intent_id, "capture"), {}, format="json")
    assert capture.status_code == 409 and capture.json()["error"]["code"] == "fraud_review_pending"

    queue = ok(api.get(f"{V1}/fraud/reviews?status=open"))["data"]
    assert [r["id"] for r in queue] == [review["id"]]

    approved = ok(
        api.post(
            f"{V1}/fraud/reviews/{review['id']}/approve",
            {"reason": "known customer"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="approve-1",
        )
    )
    assert approved["status"] == "closed" and approved["closed_reason"] == "approved"
    replay = api.post(
        f"{V1}/fraud/reviews/{review['id']}/approve",
        {"reason": "known customer"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="approve-1",
    )
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    intent = ok(api.get(intent_url(intent_id)))
    assert intent["status"] == "succeeded" and intent["review"]["closed_reason"] == "approved"
    order = finalize(api, checkout_id)
    assert order.status_code in (200, 201), order.content
    assert status_of(checkout_id) == "completed"
    closed = Event.objects.get(type="review.closed", payment_intent_id=intent_id)
    assert closed.data["review"]["closed_reason"] == "approved"
    assert ok(api.get(f"{V1}/fraud/reviews?status=open"))["data"] == []
    # Rejecting what was approved is a conflict, not a second decision.
    late = api.post(f"{V1}/fraud/reviews/{review['id']}/reject", {}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "invalid_state_transition"


# Checkout hears of the void after commit: real transactions.
@pytest.mark.django_db(transaction=True)
def test_a_held_payment_rejected_is_voided_and_the_session_fails(api):
    checkout_id, intent_id, body = _held(api)
    rejected = ok(api.post(f"{V1}/fraud/reviews/{body['review']['id']}/reject", {}, format="json"))
    assert rejected["closed_reason"] == "refused"
    intent = ok(api.get(intent_url(intent_id)))
    assert intent["status"] == "canceled"
    assert SimulatorCharge.objects.get().status == "canceled"
    assert status_of(checkout_id) == "failed"
    closed = Event.objects.get(type="review.closed", payment_intent_id=intent_id)
    assert closed.data["review"]["closed_reason"] == "refused"
    assert finalize(api, checkout_id).status_code == 409


def test_manual_capture_review_approved_leaves_the_capture_to_the_merchant(api):
    session = ready_session(api, BIG_CART)
    intent = create_intent(api, session["checkout_id"], capture_mode="manual")
    ok(attach(api, intent["id"], tokenize(api)))
    body = ok(confirm(api, intent["id"]))
    assert body["review"]["status"] == "open"
    assert finalize(api, session["checkout_id"]).json()["error"]["code"] == "fraud_review_pending"
    ok(api.post(f"{V1}/fraud/reviews/{body['review']['id']}/approve", {}, format="json"))
    assert ok(api.get(intent_url(intent["id"])))["status"] == "requires_capture"
    assert finalize(api, session["checkout_id"]).status_code in (200, 201)


# Checkout hears of the void after commit: real transactions.
@pytest.mark.django_db(transaction=True)
def test_a_review_not_decided_before_the_authorization_lapses_is_voided(api):
    checkout_id, intent_id, body = _held(api)
    PaymentTransaction.objects.filter(public_id=intent_id).update(
        authorization_expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert payments_expire_due() == 1
    assessment = FraudAssessment.objects.get(public_id=body["review"]["id"])
    assert (assessment.status, assessment.decision) == ("blocked", "lapsed")
    assert SimulatorCharge.objects.get().status == "canceled"
    assert ok(api.get(intent_url(intent_id)))["status"] == "expired"
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "failed"


def test_score_a_session_without_paying(api):
    session = ready_session(api, BIG_CART)
    scored = ok(
        api.post(session_url(session["checkout_id"], "fraud/score"), {"ip_address": "127.0.0.1"}, format="json")
    )
    assert scored["risk_score"] == 45 and scored["risk_level"] == "medium"
    assert scored["recommended_action"] == "challenge"
    assert scored["rule_matches"][0]["rule_type"] == "amount_threshold"
    assessment = ok(api.get(f"{V1}/fraud/assessments/{scored['assessment_id']}"))
    assert assessment["payment_intent"] == "" and assessment["ip_address"] == "127.0.0.1"
    assert ok(api.get(f"{V1}/fraud/reviews"))["data"] == [], "a score without paying is never queued"
    bad = api.post(session_url(session["checkout_id"], "fraud/score"), {"ip_address": "nope"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "ip_address"


def test_rules_api_validates_edits_and_deletes(api):
    rules = ok(api.get(f"{V1}/fraud/rules"))["data"]
    assert len(rules) == 5 and all(rule["is_default"] for rule in rules)
    created = ok(
        api.post(
            f"{V1}/fraud/rules",
            {
                "name": "Review over 500",
                "rule_type": "amount_threshold",
                "conditions": {"amount_gt": 50000},
                "action": "review",
            },
            format="json",
        ),
        201,
    )
    assert created["action"] == "review" and created["conditions"] == {"amount_gt": 50000}
    bad = api.post(
        f"{V1}/fraud/rules", {"name": "x", "rule_type": "velocity", "conditions": {"keys": ["x"]}}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_conditions"
    typo = api.post(
        f"{V1}/fraud/rules", {"name": "x", "rule_type": "blacklist", "conditions": {}, "scor": 1}, format="json"
    )
    assert typo.status_code == 400
    string_score = api.patch(f"{V1}/fraud/rules/{created['id']}", {"score": "5"}, format="json")
    assert string_score.status_code == 400 and string_score.json()["error"]["param"] == "score"
    patched = ok(api.patch(f"{V1}/fraud/rules/{created['id']}", {"is_active": False, "priority": 5}, format="json"))
    assert (patched["is_active"], patched["priority"]) == (False, 5)
    assert api.patch(f"{V1}/fraud/rules/{created['id']}", {"rule_type": "velocity"}, format="json").status_code == 400
    ok(api.delete(f"{V1}/fraud/rules/{created['id']}"))
    assert api.delete(f"{V1}/fraud/rules/{created['id']}").status_code == 404
    assert len(ok(api.get(f"{V1}/fraud/rules"))["data"]) == 5


def test_list_entries_api(api):
    created = ok(
        api.post(f"{V1}/fraud/list-entries", {"list": "allow", "kind": "country", "value": "fr"}, format="json"), 201
    )
    assert created["value"] == "FR"
    bad = api.post(f"{V1}/fraud/list-entries", {"list": "grey", "kind": "country", "value": "FR"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "list"
    bad = api.post(f"{V1}/fraud/list-entries", {"list": "block", "kind": "ip_address", "value": "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "value"
    assert [e["id"] for e in ok(api.get(f"{V1}/fraud/list-entries?list=allow"))["data"]] == [created["id"]]
    assert ok(api.get(f"{V1}/fraud/list-entries?list=block"))["data"] == []
    ok(api.delete(f"{V1}/fraud/list-entries/{created['id']}"))
    assert api.delete(f"{V1}/fraud/list-entries/{created['id']}").status_code == 404


def test_assign_a_review_to_a_staff_analyst(api, django_user_model):
    analyst = django_user_model.objects.create_user("alice", "alice@example.com", "pw", is_staff=True)
    django_user_model.objects.create_user("bob", "bob@example.com", "pw", is_staff=False)
    checkout_id, _, body = _held(api)
    url = session_url(checkout_id, "manual-review/assign")
    refused = api.post(url, {"assignee": "bob"}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "assignee"
    assigned = ok(api.post(url, {"assignee": "alice"}, format="json"))
    assert assigned["assignee"] == "alice"
    assert FraudAssessment.objects.get(public_id=body["review"]["id"]).assignee == analyst
    other = ready_session(api)
    assert (
        api.post(
            session_url(other["checkout_id"], "manual-review/assign"), {"assignee": "alice"}, format="json"
        ).status_code
        == 404
    )


def test_another_merchants_review_rule_and_assessment_are_404_and_untouched(api, other_api):
    _, intent_id, body = _held(api)
    review_id = body["review"]["id"]
    rule_id = ok(api.get(f"{V1}/fraud/rules"))["data"][0]["id"]
    for method, url in [
        ("post", f"{V1}/fraud/reviews/{review_id}/approve"),
        ("post", f"{V1}/fraud/reviews/{review_id}/reject"),
        ("get", f"{V1}/fraud/assessments/{review_id}"),
        ("patch", f"{V1}/fraud/rules/{rule_id}"),
        ("delete", f"{V1}/fraud/rules/{rule_id}"),
    ]:
        response = getattr(other_api, method)(url, {"is_active": False} if method == "patch" else {}, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    assert ok(other_api.get(f"{V1}/fraud/reviews"))["data"] == []
    assert FraudAssessment.objects.get(public_id=review_id).status == "in_review"
    assert ok(api.get(f"{V1}/fraud/rules/"[:-1]))["data"][0]["is_active"] is True


def test_a_review_waits_for_3ds_before_it_can_be_decided(api):
    from tests.payments.helpers import THREE_DS

    session = ready_session(api, BIG_CART)
    intent = create_intent(api, session["checkout_id"])
    ok(attach(api, intent["id"], tokenize(api, THREE_DS)))
    body = ok(confirm(api, intent["id"]))
    assert body["status"] == "requires_action" and body["review"]["status"] == "open"
    early = api.post(f"{V1}/fraud/reviews/{body['review']['id']}/reject", {}, format="json")
    assert early.status_code == 409 and early.json()["error"]["code"] == "payment_in_progress"
    assert FraudAssessment.objects.get(public_id=body["review"]["id"]).status == "in_review"


@pytest.mark.django_db(transaction=True)
def test_the_session_deadline_leaves_a_held_review_to_the_reviewer(api):
    from checkout.services.deadlines import sessions_enforce_deadlines

    checkout_id, intent_id, body = _held(api)
    past = timezone.now() - timedelta(minutes=1)
    CheckoutSession.objects.filter(public_id=checkout_id).update(payment_deadline_at=past)
    sessions_enforce_deadlines()
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "payment_processing"
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "authorized"
    ok(api.post(f"{V1}/fraud/reviews/{body['review']['id']}/approve", {}, format="json"))
    assert finalize(api, checkout_id).status_code in (200, 201)
