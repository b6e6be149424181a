"""What may still be refunded is one rule in payments, counting the refunds in flight from
both paths (refund requests and checkout's compensations), and recording a refund never
clamps silently."""

import logging

import pytest
from django.db import transaction

from merchants.models import Event
from payments.locks import lock_payment
from payments.models import PaymentTransaction
from payments.services import payment_intent_refund
from payments.services.refunds import payment_refund_record, payment_refundable_amount
from refunds.models import RefundRequest
from tests.payments.helpers import ok
from tests.refunds.helpers import CAPTURED, captured_intent, request_refund, review_limit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_compensation_refund_leaves_what_a_refund_request_holds(api):
    intent_id = captured_intent(api)
    review_limit(api.merchant, 0)  # the request waits for a reviewer, holding its amount
    held = ok(request_refund(api, intent_id, amount=3000), 201)
    assert held["status"] in ("pending", "under_review")

    payment_intent_refund(merchant_id=api.merchant.pk, payment_intent_id=intent_id, actor="system:checkout")

    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert payment.amount_refunded == CAPTURED - 3000, "the request's 3000 must stay refundable for it"
    assert payment.state == "partially_refunded"
    with transaction.atomic():
        assert payment_refundable_amount(lock_payment(merchant_id=api.merchant.pk, payment_intent_id=intent_id)) == 0


def test_refund_requests_see_a_compensation_refund_in_flight(api):
    intent_id = captured_intent(api)
    with transaction.atomic():
        payment = lock_payment(merchant_id=api.merchant.pk, payment_intent_id=intent_id)
        from payments.services.operations import REFUND, operation_claim

        operation_claim(payment, REFUND, 4000, actor="system:checkout")  # claimed, call not answered yet

    refused = request_refund(api, intent_id, amount=2000)
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["refundable_amount"] == 1000
    assert not RefundRequest.objects.exists()


def test_a_refund_above_what_is_left_is_an_alert_not_a_silent_clamp(api, caplog):
    intent_id = captured_intent(api)
    payment_intent_refund(merchant_id=api.merchant.pk, payment_intent_id=intent_id, actor="test", amount=4000)
    caplog.set_level(logging.ERROR)
    with transaction.atomic():
        payment = lock_payment(merchant_id=api.merchant.pk, payment_intent_id=intent_id)
        # The gateway reports a refund of 2500 when only 1000 was left.
        payment_refund_record(payment, refund_id="re_late", amount=2500, gateway_reference="re_x", actor="gateway:test")

    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert (payment.state, payment.amount_refunded) == ("refunded", CAPTURED)
    excess = payment.events.get(type="refund.excess")
    assert excess.data["excess"] == 1500
    assert Event.objects.get(type="payment.over_refunded", payment_intent_id=intent_id).data["excess"] == 1500
    assert any("exceeds what was left to refund" in record.getMessage() for record in caplog.records)
