"""POST /webhook/fraud: a provider's decisions, signed per merchant (Standard Webhooks).
Forged or stale → 400 and nothing stored; duplicates converge; decisions are ordered by
their signed time; a block after authorization voids."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from fraud.models import FraudAssessment, ProviderEvent
from payments.models import PaymentTransaction
from tests.checkout.finalize_helpers import ready_session
from tests.fraud.test_flow_api import _held
from tests.payments.helpers import V1, attach, confirm, create_intent, ok, tokenize

pytestmark = pytest.mark.django_db
URL = f"{V1}/webhook/fraud"


def _secret(api):
    return ok(api.post(f"{V1}/fraud/provider-secret", {}, format="json"), 201)["secret"]


def _send(secret, merchant, assessment_id, decision, *, webhook_id="msg_1", at=None, body=None):
    at = at or datetime.now(tz=UTC)
    payload = body or json.dumps(
        {"type": "fraud.decision",
         "data": {"merchant": merchant.public_id, "assessment_id": assessment_id, "decision": decision}}
    )  # fmt: skip
    signature = Webhook(secret).sign(webhook_id, at, payload)
    headers = {
        "HTTP_WEBHOOK_ID": webhook_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(at.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }
    return APIClient().post(URL, payload, content_type="application/json", **headers)


def test_forged_stale_or_foreign_signatures_are_refused_and_nothing_is_stored(api, other_api):
    secret = _secret(api)
    other_secret = _secret(other_api)
    _, _, body = _held(api)
    review_id = body["review"]["id"]
    stale = _send(secret, api.merchant, review_id, "block", at=datetime.now(tz=UTC) - timedelta(hours=1))
    forged = _send("whsec_" + "QUJD" * 8, api.merchant, review_id, "block")
    foreign = _send(other_secret, api.merchant, review_id, "block")
    unsigned = APIClient().post(URL, {"data": {"merchant": api.merchant.public_id}}, format="json")
    garbage = APIClient().post(URL, b"not json", content_type="application/json")
    for response in (stale, forged, foreign, unsigned, garbage):
        assert response.status_code == 400 and response.json()["error"]["code"] == "webhook_signature_invalid"
    assert not ProviderEvent.objects.exists()
    assert FraudAssessment.objects.get(public_id=review_id).status == "in_review"
    # The other merchant cannot decide this merchant's assessment with its own secret either.
    wrong_tenant = _send(other_secret, other_api.merchant, review_id, "block")
    assert wrong_tenant.status_code == 400 and wrong_tenant.json()["error"]["param"] == "assessment_id"


def test_allow_approves_the_review_and_a_duplicate_converges(api):
    secret = _secret(api)
    _, intent_id, body = _held(api)
    first = ok(_send(secret, api.merchant, body["review"]["id"], "allow"))
    assert first == {"received": True, "duplicate": False, "outcome": "applied", "detail": "review approved"}
    again = ok(_send(secret, api.merchant, body["review"]["id"], "allow"))
    assert again["duplicate"] is True and ProviderEvent.objects.count() == 1
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "completed"


def test_block_voids_a_held_payment_and_an_older_decision_is_ignored(api):
    secret = _secret(api)
    _, intent_id, body = _held(api)
    now = datetime.now(tz=UTC)
    ok(_send(secret, api.merchant, body["review"]["id"], "block", webhook_id="msg_late", at=now))
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "cancelled"
    older = ok(_send(secret, api.merchant, body["review"]["id"], "allow", webhook_id="msg_early",
                     at=now - timedelta(seconds=30)))  # fmt: skip
    assert older["outcome"] == "ignored" and older["detail"] == "a later decision was already applied"
    assert FraudAssessment.objects.get(public_id=body["review"]["id"]).decision == "refused"


def test_block_after_an_allowed_authorization_voids_it(api):
    secret = _secret(api)
    session = ready_session(api)
    intent = create_intent(api, session["checkout_id"], capture_mode="manual")
    ok(attach(api, intent["id"], tokenize(api)))
    assert ok(confirm(api, intent["id"]))["status"] == "requires_capture"
    assessment = FraudAssessment.objects.get(payment_intent_id=intent["id"])
    assert assessment.status == "allowed"
    result = ok(_send(secret, api.merchant, assessment.public_id, "block"))
    assert result["outcome"] == "applied" and result["detail"] == "authorization voided"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "cancelled"
