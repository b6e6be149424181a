"""Every reason GET /failures knows comes from a real path: a fraud block, a shortfall at
finalization, a promotion used up before the order was made, a finalization job that
could not finish, next to the declines, expiries and declines of approval the remediation
tests walk through."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import FinalizationJob, Reservation
from tests.checkout.finalize_helpers import finalize, pay, ready_session, session_url, status_of
from tests.checkout.inventory_helpers import load_stock
from tests.checkout.pricing_helpers import promotion
from tests.payments.helpers import DIGITAL_CART, THREE_DS, V1, attach, confirm, create_intent, ok, tokenize

# The payment listener runs after commit, so the tests need real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _failures(api, query=""):
    return ok(api.get(f"{V1}/failures?limit=100{query}"))["data"]


def _only(api, reason):
    rows = _failures(api, f"&reason={reason}")
    assert len(rows) == 1, rows
    return rows[0]


def test_a_fraud_block_is_listed_as_fraud_block(api):
    ok(api.post(f"{V1}/fraud/list-entries", {"list": "block", "kind": "email", "value": "mallory@example.com"},
                format="json"), 201)  # fmt: skip
    checkout_id = ready_session(api, email="mallory@example.com")["checkout_id"]
    intent = create_intent(api, checkout_id)
    ok(attach(api, intent["id"], tokenize(api)))
    assert confirm(api, intent["id"]).json()["error"]["code"] == "fraud_block"

    row = _only(api, "fraud_block")
    assert (row["checkout_id"], row["status"]) == (checkout_id, "payment_processing")
    assert row["payment_intent"]["failure_code"] == "fraud_block"
    assert _failures(api, "&reason=payment_declined") == []


def test_stock_gone_at_finalization_is_listed_as_inventory_shortfall(api):
    load_stock(api, {"EBOOK": 2})
    checkout_id = ready_session(api)["checkout_id"]
    ok(api.post(session_url(checkout_id, "reserve"), {}, format="json"), 201)
    pay(api, checkout_id)
    Reservation.objects.filter(session__public_id=checkout_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    rival = ok(api.post(f"{V1}/sessions", DIGITAL_CART, format="json"), 201)["checkout_id"]
    ok(api.post(session_url(rival, "reserve"), {}, format="json"), 201)
    assert finalize(api, checkout_id).json()["error"]["cause"] == "inventory_shortfall"

    row = _only(api, "inventory_shortfall")
    assert (row["checkout_id"], row["status"]) == (checkout_id, "failed")
    assert "stock" in row["message"]
    assert row["payment_intent"]["status"] == "refunded" and row["actions"] == []


def test_a_promotion_used_up_before_the_order_is_listed_as_validation(api):
    promotion(api.merchant, code="ONCE", usage_limit=1)
    paid = []
    for _ in range(2):
        session = ok(api.post(f"{V1}/sessions", {**DIGITAL_CART, "promotion_codes": ["ONCE"]}, format="json"), 201)
        checkout_id = session["checkout_id"]
        ok(api.post(session_url(checkout_id, "customer"), {"email": "ada@example.com"}, format="json"))
        ok(api.post(session_url(checkout_id, "calculate"), {}, format="json"))
        pay(api, checkout_id)
        paid.append(checkout_id)
    first, second = paid
    ok(finalize(api, first), 201)
    error = finalize(api, second).json()["error"]
    assert (error["code"], error["cause"]) == ("finalization_failed", "invalid_promotion")

    row = _only(api, "validation")
    assert (row["checkout_id"], row["status"]) == (second, "failed")
    assert "promotion" in row["message"]


def test_a_finalization_job_that_could_not_finish_is_listed_and_retried(api, django_capture_on_commit_callbacks):
    checkout_id = ready_session(api)["checkout_id"]
    intent = create_intent(api, checkout_id)
    ok(attach(api, intent["id"], tokenize(api, THREE_DS)))
    assert ok(confirm(api, intent["id"]))["status"] == "requires_action"
    with django_capture_on_commit_callbacks(execute=True):
        job = ok(api.post(session_url(checkout_id, "finalize/async"), {}, format="json"), 202)
    assert FinalizationJob.objects.get(public_id=job["job_id"]).status == "failed"

    row = _only(api, "finalization_failed")
    assert (row["checkout_id"], row["status"]) == (checkout_id, "payment_processing")
    assert "payment_not_settled" in row["message"] or "not succeeded" in row["message"]
    assert status_of(checkout_id) == "payment_processing"
