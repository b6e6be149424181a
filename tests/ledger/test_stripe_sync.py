"""Stripe pays out itself: its payouts and the balance transactions they paid are read
(recorded payloads where localstripe serves none) and become our Payout, claiming our
rows, with Stripe's fee where it differs from the priced one."""

import copy
import json
from pathlib import Path

import pytest

from ledger.models import BalanceTransaction, Payout
from ledger.services.stripe_sync import stripe_payouts_sync
from payments.models import PaymentAttempt
from tests.ledger.helpers import ledger_net
from tests.payments.helpers import confirm, ok
from tests.payments.test_stripe_gateway import stripe_paid_intent

pytestmark = pytest.mark.django_db
RECORDED = json.loads(Path(__file__).with_name("stripe_balance_recorded.json").read_text())


def _serve(httpserver, stripe_settings, *, intent_ref, fee):
    payouts = copy.deepcopy(RECORDED["payouts_list"])
    rows = copy.deepcopy(RECORDED["payout_balance_transactions"])
    rows["data"][0]["source"]["payment_intent"] = intent_ref
    rows["data"][0]["fee"] = fee
    rows["data"][0]["net"] = 5000 - fee
    payouts["data"][0]["amount"] = 5000 - fee
    rows["data"][1]["amount"] = rows["data"][1]["net"] = -(5000 - fee)
    httpserver.expect_request("/v1/payouts", method="GET").respond_with_json(payouts)
    httpserver.expect_request("/v1/balance_transactions", method="GET").respond_with_json(rows)
    stripe_settings.STRIPE_API_BASE = httpserver.url_for("").rstrip("/")


def test_a_stripe_payout_claims_our_charge_and_takes_stripes_fee(stripe_api, stripe_settings, httpserver):
    _, intent = stripe_paid_intent(stripe_api)
    assert ok(confirm(stripe_api, intent["id"]))["status"] == "succeeded"
    charge = BalanceTransaction.objects.get(type="charge")
    assert (charge.amount, charge.fee, charge.gateway) == (5000, 175, "stripe")
    reference = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference
    _serve(httpserver, stripe_settings, intent_ref=reference, fee=180)

    assert stripe_payouts_sync(merchant_id=stripe_api.merchant.pk) == 1
    assert stripe_payouts_sync(merchant_id=stripe_api.merchant.pk) == 0  # known: nothing new
    payout = Payout.objects.get()
    assert (payout.gateway, payout.gateway_reference, payout.amount, payout.currency, payout.status) == (
        "stripe", "po_1QRecorded0000000000001", 4820, "USD", "paid"
    )  # fmt: skip
    claimed = BalanceTransaction.objects.filter(payout=payout).order_by("id")
    assert [(t.type, t.amount, t.fee) for t in claimed] == [
        ("charge", 5000, 175),
        ("adjustment", 0, 5),
        ("payout", -4820, 0),
    ]
    assert ledger_net(stripe_api.merchant) == 0
    request = httpserver.log[1][0]
    assert request.args.get("payout") == "po_1QRecorded0000000000001" and request.args.get("expand[0]") == "data.source"


def test_a_stripe_payout_claims_our_dispute_and_takes_stripes_dispute_fee(stripe_api, stripe_settings, httpserver):
    from django.db import transaction

    from payments.gateways.base import DisputeInfo
    from payments.locks import lock_payment
    from payments.services.disputes import payment_dispute_apply

    _, intent = stripe_paid_intent(stripe_api)
    assert ok(confirm(stripe_api, intent["id"]))["status"] == "succeeded"
    reference = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).gateway_reference
    dispute = DisputeInfo(
        id="dp_1QRecordedDispute000001", amount=1000, currency="USD", reason="fraudulent",
        status="needs_response", outcome="", evidence_due_by=None,
    )  # fmt: skip
    with transaction.atomic():
        payment = lock_payment(merchant_id=stripe_api.merchant.pk, payment_intent_id=intent["id"])
        payment_dispute_apply(payment, dispute, gateway="stripe", event_id="evt_dispute", actor="test")
    ours = BalanceTransaction.objects.get(type="dispute")
    assert (ours.amount, ours.fee, ours.source_id) == (-1000, 1500, dispute.id)

    # Stripe's payout pays the charge less the dispute's withdrawal, which Stripe types
    # `adjustment` and reports as `dispute`, with a fee of 20.00 where our pricing said 15.00.
    rows = copy.deepcopy(RECORDED["payout_balance_transactions"])
    rows["data"][0]["source"]["payment_intent"] = reference
    rows["data"].insert(1, {
        "id": "txn_1QRecordedDispute0000001", "object": "balance_transaction", "amount": -1000, "fee": 2000,
        "net": -3000, "currency": "usd", "type": "adjustment", "reporting_category": "dispute",
        "source": {"id": dispute.id, "object": "dispute", "payment_intent": reference, "amount": 1000},
    })  # fmt: skip
    rows["data"][2]["amount"] = rows["data"][2]["net"] = -(4825 - 3000)
    payouts = copy.deepcopy(RECORDED["payouts_list"])
    payouts["data"][0]["amount"] = 4825 - 3000
    httpserver.expect_request("/v1/payouts", method="GET").respond_with_json(payouts)
    httpserver.expect_request("/v1/balance_transactions", method="GET").respond_with_json(rows)
    stripe_settings.STRIPE_API_BASE = httpserver.url_for("").rstrip("/")

    assert stripe_payouts_sync(merchant_id=stripe_api.merchant.pk) == 1
    claimed = BalanceTransaction.objects.filter(payout=Payout.objects.get()).order_by("id")
    assert [(t.type, t.amount, t.fee) for t in claimed] == [
        ("charge", 5000, 175),
        ("dispute", -1000, 1500),
        ("adjustment", 0, 500),
        ("payout", -1825, 0),
    ]
    assert ledger_net(stripe_api.merchant) == 0
