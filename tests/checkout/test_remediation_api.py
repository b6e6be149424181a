"""GET /failures, POST /sessions/{id}/resolve and /support-note: find why a checkout
failed and fix it with one audited call."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from checkout.locks import lock_session
from checkout.models import CheckoutSession, Order, SessionEvent
from checkout.services.lifecycle import session_transition
from merchants.audit.models import AuditEntry
from payments.models import PaymentTransaction
from tests.checkout.finalize_helpers import pay, ready_session, session_url, set_merchant, status_of, timeline_types
from tests.checkout.pricing_helpers import promotion
from tests.concurrency import run_together
from tests.payments.helpers import DECLINE, INSUFFICIENT_FUNDS, V1, attach, confirm, create_intent, ok, tokenize

# The payment listener runs after commit, so the tests need real commits.
pytestmark = pytest.mark.django_db(transaction=True)

FAILURES = f"{V1}/failures"


def _declined(api, number=DECLINE, attempts=3) -> tuple[str, dict]:
    set_merchant(api.merchant, max_payment_attempts=attempts)
    checkout_id = ready_session(api)["checkout_id"]
    intent = create_intent(api, checkout_id)
    ok(attach(api, intent["id"], tokenize(api, number)))
    assert confirm(api, intent["id"]).status_code == 402
    return checkout_id, intent


def _resolve(api, checkout_id, **body):
    return api.post(session_url(checkout_id, "resolve"), body, format="json")


def _failures(api, query=""):
    return ok(api.get(f"{FAILURES}?limit=100{query}"))["data"]


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


def test_a_declined_checkout_is_listed_with_its_reason_and_fixed_with_another_card(api, other_api):
    checkout_id, old = _declined(api)

    [row] = _failures(api)
    assert (row["checkout_id"], row["status"], row["reason"]) == (checkout_id, "payment_processing", "payment_declined")
    assert row["payment_intent"]["id"] == old["id"] and row["payment_intent"]["failure_code"] == "card_declined"
    assert row["grand_total"] == 5000 and row["currency"] == "USD"
    assert row["actions"] == ["replace_payment_method", "apply_discount", "manual_override"]
    assert _failures(api, "&reason=insufficient_funds") == []
    assert _failures(other_api) == []

    resolved = ok(_resolve(api, checkout_id, action="replace_payment_method", payment_method_id=tokenize(api)))
    assert resolved["action"] == "replace_payment_method" and resolved["payment_intent_id"] != old["id"]
    new = ok(api.get(f"{V1}/payment-intents/{resolved['payment_intent_id']}"))
    assert (new["status"], new["amount"]) == ("requires_confirmation", 5000)
    assert PaymentTransaction.objects.get(public_id=old["id"]).state == "cancelled"
    assert _failures(api) == [], "a session paying again is no longer a failure"

    assert ok(confirm(api, new["id"]))["status"] == "succeeded"
    assert ok(api.post(session_url(checkout_id, "finalize"), {}, format="json"), 201)["status"] == "completed"
    assert "resolve.replace_payment_method" in timeline_types(api, checkout_id)
    audited = AuditEntry.objects.get(object_id=checkout_id, action="resolve.replace_payment_method")
    assert audited.actor.startswith("merchant:sk_test_") and audited.data["previous_payment_intent_id"] == old["id"]


def test_a_session_failed_for_good_goes_back_to_paying(api):
    checkout_id, _ = _declined(api, number=INSUFFICIENT_FUNDS, attempts=1)
    assert status_of(checkout_id) == "failed"
    [row] = _failures(api, "&reason=insufficient_funds")
    assert row["status"] == "failed" and row["message"] == "The payment failed."

    resolved = ok(_resolve(api, checkout_id, action="replace_payment_method", payment_method_id=tokenize(api)))
    assert status_of(checkout_id) == "payment_processing"
    assert ok(confirm(api, resolved["payment_intent_id"]))["status"] == "succeeded"
    assert ok(api.post(session_url(checkout_id, "finalize"), {}, format="json"), 201)["order"]["amount"] == 5000


def test_a_discount_after_a_decline_recalculates_and_replaces_the_intent(api):
    promotion(api.merchant, code="SORRY10")
    checkout_id, old = _declined(api)

    resolved = ok(_resolve(api, checkout_id, action="apply_discount", promotion_code="SORRY10"))
    totals = ok(api.get(session_url(checkout_id)))["totals"]
    assert (totals["discount_total"], totals["grand_total"]) == (500, 4500)
    assert resolved["calculation_id"] == ok(api.get(session_url(checkout_id)))["calculation_id"]
    new = ok(api.get(f"{V1}/payment-intents/{resolved['payment_intent_id']}"))
    assert new["amount"] == 4500 and new["id"] != old["id"]
    assert PaymentTransaction.objects.get(public_id=old["id"]).state == "cancelled"
    # The old, larger amount can no longer be paid.
    assert confirm(api, old["id"], tokenize(api)).status_code == 409

    ok(attach(api, new["id"], tokenize(api)))
    assert ok(confirm(api, new["id"]))["amount"] == 4500
    assert _error(
        _resolve(api, checkout_id, action="apply_discount", promotion_code="NOPE"), 409, "resolution_not_allowed"
    )


def test_a_discount_on_an_editable_session_recalculates_it(api):
    promotion(api.merchant, code="SAVE10")
    checkout_id = ready_session(api)["checkout_id"]
    resolved = ok(_resolve(api, checkout_id, action="apply_discount", promotion_code="save10"))
    assert resolved["payment_intent_id"] is None
    assert ok(api.get(session_url(checkout_id)))["totals"]["grand_total"] == 4500
    _error(_resolve(api, checkout_id, action="apply_discount", promotion_code="BOGUS"), 400, "invalid_promotion")


def test_a_manual_override_completes_a_failed_session_as_settled_outside(api):
    checkout_id, old = _declined(api, attempts=1)
    error = _error(_resolve(api, checkout_id, action="manual_override"), 400, "parameter_missing")
    assert error["param"] == "reason"
    _error(_resolve(api, checkout_id, action="manual_override", reason="   "), 400, "parameter_invalid")

    resolved = ok(
        _resolve(api, checkout_id, action="manual_override", reason="Paid by bank transfer", external_reference="BT-9")
    )
    order = resolved["order"]
    assert (order["payment_status"], order["amount"], order["payment_intent_id"]) == ("settled_outside", 5000, "")
    assert status_of(checkout_id) == "completed"
    assert (
        Order.objects.get(public_id=order["id"]).order_service_hint["settled_outside"]["external_reference"] == "BT-9"
    )
    types = timeline_types(api, checkout_id)
    assert "resolve.manual_override" in types and "status.completed" in types
    assert _failures(api) == []
    # Again: the same order, nothing new.
    assert ok(_resolve(api, checkout_id, action="manual_override", reason="again"))["order"]["id"] == order["id"]
    assert Order.objects.filter(session__public_id=checkout_id).count() == 1
    _error(
        _resolve(api, checkout_id, action="replace_payment_method", payment_method_id="pm_x"),
        409,
        "resolution_not_allowed",
    )


def test_a_manual_override_is_refused_where_the_platform_took_the_money_or_nothing_failed(api):
    paid = ready_session(api)["checkout_id"]
    pay(api, paid)
    _error(_resolve(api, paid, action="manual_override", reason="x"), 409, "payment_on_file")
    fresh = ready_session(api)["checkout_id"]
    refused = _error(_resolve(api, fresh, action="manual_override", reason="x"), 409, "resolution_not_allowed")
    assert refused["explain"] == {"status": status_of(fresh), "reason": None, "action": "manual_override"}
    _error(_resolve(api, fresh, action="retry_finalization"), 409, "resolution_not_allowed")
    _error(_resolve(api, fresh, action="refund_everything"), 400, "parameter_invalid")
    _error(_resolve(api, fresh, action="retry_finalization", note="x"), 400, "parameter_invalid")


def test_a_paid_session_left_without_an_order_is_stuck_and_retried(api):
    checkout_id = ready_session(api)["checkout_id"]
    pay(api, checkout_id)
    assert _failures(api) == [], "just paid: not stuck yet"
    SessionEvent.objects.filter(session__public_id=checkout_id, type="payment.succeeded").update(
        created_at=timezone.now() - timedelta(minutes=30)
    )
    [row] = _failures(api, "&reason=finalization_failed")
    assert row["reason"] == "finalization_failed" and row["actions"] == ["retry_finalization"]
    assert _failures(api, "&reason=payment_declined") == []

    resolved = ok(_resolve(api, checkout_id, action="retry_finalization"))
    assert resolved["order"]["payment_status"] == "captured" and status_of(checkout_id) == "completed"
    assert _failures(api) == []


def test_expired_and_declined_sessions_carry_their_reasons_and_date_filters(api):
    expired = ready_session(api)["checkout_id"]
    with transaction.atomic():
        session_transition(lock_session(merchant_id=api.merchant.pk, checkout_id=expired), "expire", actor="system:t")
    set_merchant(api.merchant, approval_mode="merchant")
    declined = ready_session(api)["checkout_id"]
    ok(api.post(session_url(declined, "place"), {}, format="json"))
    ok(api.post(session_url(declined, "decline"), {"reason": "Out of stock"}, format="json"))

    reasons = {row["checkout_id"]: row["reason"] for row in _failures(api)}
    assert reasons == {expired: "expired_unpaid", declined: "approval_declined"}
    assert [row["checkout_id"] for row in _failures(api, "&reason=approval_declined")] == [declined]
    assert _failures(api, "&failed_gte=2999-01-01T00:00:00Z") == []
    assert len(_failures(api, "&failed_lte=2999-01-01T00:00:00Z")) == 2
    _error(api.get(f"{FAILURES}?reason=bad_luck"), 400, "parameter_invalid")
    assert CheckoutSession.objects.get(public_id=expired).failed_at is not None


def test_support_notes_show_on_the_timeline_and_in_the_audit_and_replay(api, other_api):
    checkout_id = ready_session(api)["checkout_id"]
    url = session_url(checkout_id, "support-note")
    body = {"note": "Shopper called about the decline.", "author": "amy"}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="note-1")
    note = ok(first, 201)
    assert (note["type"], note["data"]) == ("support_note", body)
    replay = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="note-1")
    assert replay.status_code == 201 and replay.content == first.content
    assert SessionEvent.objects.filter(session__public_id=checkout_id, type="support_note").count() == 1

    timeline = ok(api.get(session_url(checkout_id, "timeline") + "?limit=100"))["data"]
    assert timeline[-1]["type"] == "support_note" and timeline[-1]["data"]["author"] == "amy"
    assert AuditEntry.objects.get(object_id=checkout_id, action="support_note").data == body

    _error(api.post(url, {"note": "x"}, format="json"), 400, "parameter_invalid")
    _error(other_api.post(url, body, format="json"), 404, "resource_missing")
    _error(
        other_api.post(session_url(checkout_id, "resolve"), {"action": "retry_finalization"}, format="json"),
        404,
        "resource_missing",
    )


def test_concurrent_overrides_make_one_order(api):
    checkout_id, _ = _declined(api, attempts=1)
    from checkout.services.remediation import session_manual_override

    def override(i):
        return session_manual_override(
            merchant_id=api.merchant.pk,
            checkout_id=checkout_id,
            reason=f"bank {i}",
            external_reference="",
            actor="staff:amy",
        ).order.public_id

    results = run_together(3, override)
    assert all(isinstance(result, str) for result in results), results
    assert len(set(results)) == 1
    assert Order.objects.filter(session__public_id=checkout_id).count() == 1
    assert SessionEvent.objects.filter(session__public_id=checkout_id, type="resolve.manual_override").count() == 1
