"""Refunding a BNPL order through the refunds API: what is still owed is reduced first
(later installments cancelled or reduced), then paid installments are refunded to the
card; never more than the order, never more than was paid back to the card."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.bnpl.models import Installment
from payments.models import PaymentTransaction
from payments.simulator.models import SimulatorCharge
from tests.bnpl.helpers import bnpl_intent, complete_at_provider, confirm_bnpl, installments
from tests.payments.helpers import intent_url, ok

pytestmark = pytest.mark.django_db(transaction=True)


def refund(api, intent_id, amount):
    return api.post(
        intent_url(intent_id, "refund"), {"amount": amount, "reason": "requested_by_customer"}, format="json"
    )


def test_refund_reduces_future_installments_first_then_refunds_paid_ones(api):
    _, intent = bnpl_intent(api)
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    call_command("bnpl_charge_installments", "--as-of", (timezone.localdate() + timedelta(days=14)).isoformat())
    assert [i["status"] for i in installments(api, intent["id"])] == ["paid", "paid", "pending", "pending"]

    # 30.00 of 50.00: the two unpaid (25.00) are cancelled, 5.00 goes back from the latest paid.
    assert refund(api, intent["id"], 3000).status_code in (200, 201)
    schedule = installments(api, intent["id"])
    assert [i["status"] for i in schedule] == ["paid", "paid", "cancelled", "cancelled"]
    assert [i["amount_refunded"] for i in schedule] == [0, 500, 0, 0]
    order_payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert order_payment.state == "partially_refunded" and order_payment.amount_refunded == 3000
    second_charge = PaymentTransaction.objects.get(public_id=schedule[1]["payment_intent_id"])
    assert second_charge.amount_refunded == 500
    assert SimulatorCharge.objects.get(metadata__payment_intent=second_charge.public_id).amount_refunded == 500

    # The rest (20.00) is all paid money: 7.50 left on the second, 12.50 on the first.
    assert refund(api, intent["id"], 2000).status_code in (200, 201)
    assert [i["amount_refunded"] for i in installments(api, intent["id"])] == [1250, 1250, 0, 0]
    order_payment.refresh_from_db()
    assert order_payment.state == "refunded" and order_payment.amount_refunded == 5000
    # Nothing is left: the one refundable-amount rule refuses more.
    assert refund(api, intent["id"], 1).status_code == 400
    # The job charges nothing of a cancelled installment.
    call_command("bnpl_charge_installments", "--as-of", (timezone.localdate() + timedelta(days=42)).isoformat())
    assert Installment.objects.filter(state="cancelled").count() == 2
    assert PaymentTransaction.objects.filter(metadata__bnpl_plan__isnull=False).count() == 2


def test_a_partial_refund_of_less_than_is_owed_shortens_the_plan_from_its_end(api):
    _, intent = bnpl_intent(api)
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    assert refund(api, intent["id"], 1500).status_code in (200, 201)
    schedule = installments(api, intent["id"])
    assert [(i["status"], i["amount"]) for i in schedule] == [
        ("paid", 1250), ("pending", 1250), ("pending", 1000), ("cancelled", 0)
    ]  # fmt: skip
    assert sum(i["amount"] for i in schedule if i["status"] != "cancelled") + 1500 == 5000
    # No card money moved: only what was owed went down.
    assert not PaymentTransaction.objects.filter(metadata__bnpl_plan__isnull=False, amount_refunded__gt=0).exists()
