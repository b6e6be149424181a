"""Disputes (chargebacks) through signed gateway webhooks: the payment moves to DISPUTED,
then back to COMPLETED (won) or on to REFUNDED (lost); refunds keeps the Dispute."""

import copy
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from ledger.models import BalanceTransaction
from merchants.models import Event
from payments.models import GatewayEvent, PaymentAttempt, PaymentTransaction
from payments.simulator import processor
from payments.simulator.models import SimulatorDelivery
from payments.simulator.signing import SIGNATURE_HEADER, signature_header
from refunds.models import Dispute, RefundRequest
from tests.payments.conftest import STRIPE_WEBHOOK_SECRET
from tests.payments.helpers import SUCCESS, V1, attach, calculated_session, confirm, create_intent, ok, tokenize
from tests.payments.test_stripe_gateway import _stripe_signature, stripe_paid_intent
from tests.refunds.helpers import CAPTURED, logged_in, request_refund, review, review_limit

pytestmark = pytest.mark.django_db
WEBHOOK = f"{V1}/webhook/payment"
RECORDED = json.loads(Path(__file__).with_name("stripe_dispute_events.json").read_text())


@pytest.fixture
def paid(api):
    """(checkout id, payment intent id, simulator charge reference) of a captured payment."""
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    ok(attach(api, intent["id"], tokenize(api, SUCCESS)))
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    reference = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference
    return session["checkout_id"], intent["id"], reference


def deliver_over_http(client, commit):
    """Posts the simulator's last queued message to our endpoint, signed, as it would."""
    body = SimulatorDelivery.objects.latest("id").body.encode()
    with commit(execute=True):
        response = client.post(
            WEBHOOK, body, content_type="application/json", headers={SIGNATURE_HEADER: signature_header(body)}
        )
    return response


def merchant_events(merchant, prefix):
    return list(
        Event.objects.filter(merchant=merchant, type__startswith=prefix).order_by("id").values_list("type", flat=True)
    )


def test_dispute_opened_then_won(api, anon_api, paid, django_capture_on_commit_callbacks):
    checkout_id, intent_id, reference = paid
    opened = processor.charge_dispute_open(reference=reference, reason="fraudulent")
    response = deliver_over_http(anon_api, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and response.json()["duplicate"] is False

    payment = ok(api.get(f"{V1}/payment-intents/{intent_id}"))
    assert payment["status"] == "disputed"
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.gateway_dispute_id, dispute.amount, dispute.currency, dispute.reason) == (
        "open", opened["id"], CAPTURED, "USD", "fraudulent"
    )  # fmt: skip
    assert dispute.evidence_due_by == datetime.fromtimestamp(opened["evidence_details"]["due_by"], tz=UTC)
    assert merchant_events(api.merchant, "dispute.") == ["dispute.created"]
    created = Event.objects.get(type="dispute.created")
    assert created.payment_intent_id == intent_id and created.data["after"]["id"] == dispute.public_id

    refused = request_refund(api, intent_id, amount=100)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "payment_disputed"

    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_close(reference=reference, won=True)  # delivered in-process, signed
    assert ok(api.get(f"{V1}/payment-intents/{intent_id}"))["status"] == "succeeded"
    dispute.refresh_from_db()
    assert (dispute.status, dispute.chargeback_amount, dispute.gateway_status) == ("won", 0, "won")
    assert dispute.closed_at is not None
    assert merchant_events(api.merchant, "dispute.") == ["dispute.created", "dispute.won"]
    # Winning back is no new payment: merchants heard payment.succeeded once.
    assert merchant_events(api.merchant, "payment.succeeded") == ["payment.succeeded"]
    timeline = [e["type"] for e in ok(api.get(f"{V1}/sessions/{checkout_id}/timeline", {"limit": 100}))["data"]]
    assert "payment.disputed" in timeline and "payment.dispute_won" in timeline
    assert [e.to_state for e in dispute.events.exclude(to_state="")] == ["open", "won"]


def test_dispute_lost_is_a_chargeback(api, paid, django_capture_on_commit_callbacks):
    _, intent_id, reference = paid
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_open(reference=reference, reason="product_not_received")
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_close(reference=reference, won=False)
    payment = ok(api.get(f"{V1}/payment-intents/{intent_id}"))
    assert (payment["status"], payment["amount_refunded"]) == ("refunded", CAPTURED)
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.chargeback_amount, dispute.reason) == ("lost", CAPTURED, "product_not_received")
    assert merchant_events(api.merchant, "dispute.") == ["dispute.created", "dispute.lost"]
    chargeback = PaymentTransaction.objects.get(public_id=intent_id).events.get(to_state="refunded")
    assert chargeback.data["chargeback"] == CAPTURED

    refused = request_refund(api, intent_id, amount=1)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "refund_exceeds_captured"


def test_a_chargeback_takes_what_a_refund_in_review_had_reserved(
    api, paid, approver, django_capture_on_commit_callbacks
):
    _, intent_id, reference = paid
    review_limit(api.merchant, 1000)
    waiting = ok(request_refund(api, intent_id, amount=2000), 201)
    assert waiting["status"] == "under_review"
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_open(reference=reference)
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_close(reference=reference, won=False)
    refund = RefundRequest.objects.get(public_id=waiting["id"])
    page = review(logged_in(approver), refund.pk, "approve").content.decode()
    assert "refund_exceeds_captured" in page
    refund.refresh_from_db()
    assert refund.state == "under_review"


def test_a_redelivered_dispute_event_changes_nothing(api, anon_api, paid, django_capture_on_commit_callbacks):
    _, intent_id, reference = paid
    processor.charge_dispute_open(reference=reference)
    assert deliver_over_http(anon_api, django_capture_on_commit_callbacks).json()["duplicate"] is False
    assert deliver_over_http(anon_api, django_capture_on_commit_callbacks).json()["duplicate"] is True
    assert processor.charge_dispute_open(reference=reference)["status"] == "needs_response"  # no second dispute
    assert SimulatorDelivery.objects.filter(body__contains="charge.dispute.created").count() == 1
    assert Dispute.objects.count() == 1 and merchant_events(api.merchant, "dispute.") == ["dispute.created"]


def test_simulator_refuses_to_dispute_an_uncaptured_charge_or_close_a_missing_dispute(api):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"], capture_mode="manual")
    ok(attach(api, intent["id"], tokenize(api, SUCCESS)))
    ok(confirm(api, intent["id"]))
    reference = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference
    from core.exceptions import DomainError

    with pytest.raises(DomainError) as not_captured:
        processor.charge_dispute_open(reference=reference)
    assert not_captured.value.code == "charge_not_disputable"
    with pytest.raises(DomainError) as missing:
        processor.charge_dispute_close(reference=reference, won=True)
    assert missing.value.code == "dispute_missing"


def test_the_simulator_command_opens_and_closes_disputes(api, paid, django_capture_on_commit_callbacks, capsys):
    _, intent_id, _ = paid
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulator_dispute", intent_id, "--reason", "duplicate")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulator_dispute", intent_id, "--close", "won")
    output = capsys.readouterr().out
    assert "needs_response" in output and ": won" in output
    assert Dispute.objects.get().status == "won"


def stripe_event(name, *, payment_intent, **changes):
    payload = copy.deepcopy(RECORDED[name])
    payload["created"] = int(time.time())
    payload["data"]["object"].update({"payment_intent": payment_intent, **changes})
    return json.dumps(payload).encode()


def post_stripe(client, body, commit):
    signature = _stripe_signature(body, STRIPE_WEBHOOK_SECRET, int(time.time()))
    with commit(execute=True):
        return client.post(WEBHOOK, body, content_type="application/json", headers={"Stripe-Signature": signature})


def test_recorded_stripe_dispute_created_then_lost(stripe_api, anon_api, django_capture_on_commit_callbacks):
    _, intent = stripe_paid_intent(stripe_api)
    assert ok(confirm(stripe_api, intent["id"]))["status"] == "succeeded"
    stripe_reference = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference

    created = stripe_event("charge.dispute.created", payment_intent=stripe_reference)
    assert post_stripe(anon_api, created, django_capture_on_commit_callbacks).status_code == 200
    assert GatewayEvent.objects.get(type="charge.dispute.created").status == "processed"
    assert ok(stripe_api.get(f"{V1}/payment-intents/{intent['id']}"))["status"] == "disputed"
    dispute = Dispute.objects.get()
    assert (dispute.gateway, dispute.gateway_dispute_id, dispute.amount, dispute.currency) == (
        "stripe", "dp_1PqRdisputeABCDEFGH", 5000, "USD"
    )  # fmt: skip
    assert dispute.evidence_due_by == datetime.fromtimestamp(1725235199, tz=UTC)
    assert (dispute.status, dispute.gateway_status, dispute.reason) == ("open", "needs_response", "fraudulent")

    closed = stripe_event("charge.dispute.closed", payment_intent=stripe_reference)
    assert post_stripe(anon_api, closed, django_capture_on_commit_callbacks).status_code == 200
    payment = ok(stripe_api.get(f"{V1}/payment-intents/{intent['id']}"))
    assert (payment["status"], payment["amount_refunded"]) == ("refunded", 5000)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.chargeback_amount) == ("lost", 5000)
    assert merchant_events(stripe_api.merchant, "dispute.") == ["dispute.created", "dispute.lost"]


def test_a_stripe_close_that_arrives_before_its_opening(stripe_api, anon_api, django_capture_on_commit_callbacks):
    _, intent = stripe_paid_intent(stripe_api)
    ok(confirm(stripe_api, intent["id"]))
    stripe_reference = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference
    won = stripe_event("charge.dispute.closed", payment_intent=stripe_reference, status="won")
    post_stripe(anon_api, won, django_capture_on_commit_callbacks)
    late_opening = stripe_event("charge.dispute.created", payment_intent=stripe_reference)
    post_stripe(anon_api, late_opening, django_capture_on_commit_callbacks)

    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert payment.state == "completed"
    assert list(payment.events.exclude(to_state="").values_list("to_state", flat=True))[-2:] == [
        "disputed",
        "completed",
    ]
    assert Dispute.objects.get().status == "won"
    assert merchant_events(stripe_api.merchant, "dispute.") == ["dispute.created", "dispute.won"]


def test_admin_lists_open_disputes_by_due_date(api, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    references = []
    for _ in range(3):
        session = calculated_session(api)
        intent = create_intent(api, session["checkout_id"])
        ok(attach(api, intent["id"], tokenize(api, SUCCESS)))
        ok(confirm(api, intent["id"]))
        references.append(PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference)
    for reference in references:
        with django_capture_on_commit_callbacks(execute=True):
            processor.charge_dispute_open(reference=reference)
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_close(reference=references[0], won=True)
    late, soon = Dispute.objects.filter(status="open").order_by("id")
    Dispute.objects.filter(pk=late.pk).update(evidence_due_by=soon.evidence_due_by.replace(year=2099))

    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-not-used-elsewhere")
    page = logged_in(user).get("/admin/refunds/dispute/").content.decode()
    assert page.index(soon.public_id) < page.index(late.public_id)
    closed = Dispute.objects.get(status="won").public_id
    assert closed not in page
    assert closed in logged_in(user).get("/admin/refunds/dispute/", {"status": "all"}).content.decode()


def test_a_dispute_won_after_a_partial_refund_leaves_the_payment_partially_refunded(
    api, paid, django_capture_on_commit_callbacks
):
    _, intent_id, reference = paid
    review_limit(api.merchant, CAPTURED)
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent_id, amount=1000), 201)
    assert ok(api.get(f"{V1}/payment-intents/{intent_id}"))["amount_refunded"] == 1000
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_open(reference=reference)
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_close(reference=reference, won=True)
    payment = ok(api.get(f"{V1}/payment-intents/{intent_id}"))
    # Winning gives back the disputed money, not the refund made before it.
    assert (payment["status"], payment["amount_refunded"]) == ("partially_refunded", 1000)
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent_id, amount=CAPTURED - 1000), 201)
    payment = ok(api.get(f"{V1}/payment-intents/{intent_id}"))
    assert (payment["status"], payment["amount_refunded"]) == ("refunded", CAPTURED)


def test_a_lost_dispute_over_part_of_the_charge_takes_only_that_part(
    stripe_api, anon_api, django_capture_on_commit_callbacks
):
    _, intent = stripe_paid_intent(stripe_api)
    assert ok(confirm(stripe_api, intent["id"]))["status"] == "succeeded"
    stripe_reference = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference
    for name in ("charge.dispute.created", "charge.dispute.closed"):
        body = stripe_event(name, payment_intent=stripe_reference, amount=2000)
        assert post_stripe(anon_api, body, django_capture_on_commit_callbacks).status_code == 200

    payment = ok(stripe_api.get(f"{V1}/payment-intents/{intent['id']}"))
    assert (payment["status"], payment["amount_refunded"]) == ("partially_refunded", 2000)
    stored = PaymentTransaction.objects.get(public_id=intent["id"])
    # The payment and the ledger agree on what the chargeback took.
    withdrawn = BalanceTransaction.objects.filter(merchant=stripe_api.merchant, type="dispute", cash=True)
    assert sum(withdrawn.values_list("amount", flat=True)) == -2000
    assert stored.events.get(type="state.partially_refunded").data["chargeback"] == 2000
    assert Dispute.objects.get().status == "lost"
