"""What a split-paid order says once paid and once partly given back: every part with
what it paid (wallet, totals, order, receipt, e-mail), and a payment status drawn from
every part, not only the card's intent."""

import pytest
from django.core import mail
from django.core.cache import cache

from merchants.models import Event
from payments.models import PaymentTransaction
from tests.checkout.finalize_helpers import finalize, ready_session
from tests.payments.helpers import V1, confirm, create_intent, ok, tokenize
from tests.refunds.helpers import refund_detail
from tests.refunds.helpers import request_refund as _request_refund
from tests.wallet.helpers import OWNED_CART, apply_card, assert_ledgers_balance, balance, issue, wallet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(api):
    cache.clear()
    api.merchant.extra_settings = {**api.merchant.extra_settings, "refund_auto_approve_max_amount": 10**9}
    api.merchant.save(update_fields=["extra_settings"])
    yield
    cache.clear()


@pytest.fixture
def request_refund(django_capture_on_commit_callbacks):
    def request(client, payment_intent_id, **body):
        with django_capture_on_commit_callbacks(execute=True):
            response = _request_refund(client, payment_intent_id, **body)
        return ok(refund_detail(client, ok(response, 201)["id"]))

    return request


def _paid(api, gift=2000, cart=None):
    session = ready_session(api, **({"cart": cart} if cart else {}))
    card = issue(api, gift)
    ok(apply_card(api, session["checkout_id"], card["code"]))
    intent = create_intent(api, session["checkout_id"])
    ok(confirm(api, intent["id"], tokenize(api)))
    return session, card, intent


def _order(api, order_id) -> dict:
    return ok(api.get(f"{V1}/orders/{order_id}"))


def test_once_paid_the_wallet_and_totals_show_what_each_instrument_paid(api):
    session, card, intent = _paid(api)
    checkout_id, total = session["checkout_id"], session["totals"]["grand_total"]
    assert balance(card["id"]) == 0  # the live balance is spent: it is not what the card paid
    for stage in ("paid", "finalized"):
        if stage == "finalized":
            ok(finalize(api, checkout_id), 201)
        shown = wallet(api, checkout_id)
        assert shown["gift_card_total"] == 2000 and shown["amount_due"] == total - 2000, stage
        [applied] = shown["applied"]
        assert applied["applied_amount"] == 2000 and applied["remaining_balance"] == 0, stage
        totals = ok(api.get(f"{V1}/sessions/{checkout_id}"))["totals"]
        assert (totals["gift_card_total"], totals["amount_due"]) == (2000, total - 2000), stage
    assert intent["amount"] == total - 2000


def test_the_order_its_receipt_and_its_email_list_every_part_with_its_amount(
    api, client, django_capture_on_commit_callbacks
):
    session, card, intent = _paid(api)
    total = session["totals"]["grand_total"]
    with django_capture_on_commit_callbacks(execute=True):
        order = ok(finalize(api, session["checkout_id"]), 201)["order"]
    parts = [
        {"type": "gift_card", "amount": 2000, "last4": card["last4"]},
        {"type": "card", "amount": total - 2000, "brand": "visa", "last4": "4242", "payment_intent_id": intent["id"]},
    ]
    assert order["payments"] == parts
    assert _order(api, order["id"])["payments"] == parts
    gift, by_card = "$20.00", f"${(total - 2000) / 100:.2f}"
    receipt = client.get(f"/receipts/{order['receipt']['receipt_id']}").content.decode()
    [message] = mail.outbox
    for body in (receipt, message.body, message.alternatives[0][0]):
        assert f"Gift card ···· {card['last4']}" in body and gift in body
        assert "Visa •••• 4242" in body and by_card in body


def test_a_card_only_order_lists_its_card_for_the_whole_amount(api):
    session = ready_session(api)
    intent = create_intent(api, session["checkout_id"])
    ok(confirm(api, intent["id"], tokenize(api)))
    order = ok(finalize(api, session["checkout_id"]), 201)["order"]
    total = session["totals"]["grand_total"]
    assert order["payments"] == [
        {"type": "card", "amount": total, "brand": "visa", "last4": "4242", "payment_intent_id": intent["id"]}
    ]


def test_a_refund_that_empties_the_card_but_not_the_gift_card_is_partial_for_the_order(api, request_refund):
    session, card, intent = _paid(api, gift=600)
    order = ok(finalize(api, session["checkout_id"]), 201)["order"]
    card_part = intent["amount"]
    refund = request_refund(api, intent["id"], amount=card_part + 72)
    assert refund["status"] == "completed"
    assert refund["allocations"] == [
        {"part": 1, "type": "card", "amount": card_part},
        {"part": 0, "type": "gift_card", "amount": 72},
    ]
    # The card's own intent gave back all it took; the order still holds 528 of the gift card.
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "refunded"
    assert _order(api, order["id"])["payment_status"] == "partially_refunded"
    completed = Event.objects.get(type="refund.completed", correlation_id=refund["id"])
    assert completed.data["after"]["allocations"] == refund["allocations"]
    assert completed.data["payment_status"] == "partially_refunded"
    request_refund(api, intent["id"])
    assert _order(api, order["id"])["payment_status"] == "refunded"
    assert balance(card["id"]) == 600
    assert_ledgers_balance()


def test_a_refund_of_the_gift_card_part_alone_makes_the_order_partially_refunded(api, request_refund):
    session, _, intent = _paid(api, gift=600)
    order = ok(finalize(api, session["checkout_id"]), 201)["order"]
    request_refund(api, intent["id"], allocations=[{"part": 0, "amount": 600}])
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "completed"
    assert _order(api, order["id"])["payment_status"] == "partially_refunded"


def test_everything_refunded_to_store_credit_makes_the_order_refunded(api, request_refund):
    session, _, intent = _paid(api, gift=600, cart=OWNED_CART)
    order = ok(finalize(api, session["checkout_id"]), 201)["order"]
    request_refund(api, intent["id"], refund_to="store_credit")
    # No money left the processor, so the card's intent keeps its capture; the order is given back whole.
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "completed"
    assert _order(api, order["id"])["payment_status"] == "refunded"
