"""Giving back a split-paid order: cards first, then the balances; never more than a part took."""

import pytest
from django.core.cache import cache

from core.exceptions import DomainError
from payments.models import PaymentTransaction
from payments.wallet.models import SplitPayment
from payments.wallet.split import split_payment_refund
from tests.checkout.finalize_helpers import finalize, ready_session
from tests.checkout.inventory_helpers import load_stock
from tests.payments.helpers import confirm, create_intent, ok, tokenize
from tests.wallet.helpers import apply_card, assert_ledgers_balance, balance, issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _paid(api, gift=1500):
    session = ready_session(api)
    card = issue(api, gift)
    ok(apply_card(api, session["checkout_id"], card["code"]))
    intent = create_intent(api, session["checkout_id"])
    ok(confirm(api, intent["id"], tokenize(api)))
    return session, card, intent


def test_default_refund_goes_to_the_card_first_then_the_gift_card(api):
    _, card, intent = _paid(api)
    card_amount = intent["amount"]
    split_payment_refund(
        merchant_id=api.merchant.pk, payment_intent_id=intent["id"], actor="test", amount=card_amount + 400
    )
    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert payment.state == "refunded" and payment.amount_refunded == card_amount
    assert balance(card["id"]) == 400
    split_payment_refund(merchant_id=api.merchant.pk, payment_intent_id=intent["id"], actor="test")
    assert balance(card["id"]) == 1500
    with pytest.raises(DomainError):
        split_payment_refund(merchant_id=api.merchant.pk, payment_intent_id=intent["id"], actor="test", amount=1)
    kinds = list(SplitPayment.objects.get(payment__public_id=intent["id"]).parts.values_list("kind", "amount_refunded"))
    assert kinds == [("gift_card", 1500), ("card", card_amount)]
    assert_ledgers_balance()


def test_explicit_allocation_never_exceeds_what_a_part_took(api):
    _, card, intent = _paid(api, gift=1000)
    with pytest.raises(DomainError) as caught:
        split_payment_refund(
            merchant_id=api.merchant.pk,
            payment_intent_id=intent["id"],
            actor="test",
            allocations=[{"part": 0, "amount": 1001}],
        )
    assert caught.value.code == "refund_exceeds_part"
    split_payment_refund(
        merchant_id=api.merchant.pk,
        payment_intent_id=intent["id"],
        actor="test",
        allocations=[{"part": 0, "amount": 600}],
    )
    assert balance(card["id"]) == 600
    assert PaymentTransaction.objects.get(public_id=intent["id"]).amount_refunded == 0
    assert_ledgers_balance()


def test_an_order_that_cannot_be_made_gives_the_gift_card_back_too(api):
    load_stock(api, {"EBOOK": 1})  # the cart wants 2: finalization fails after payment
    session, card, intent = _paid(api)
    assert balance(card["id"]) == 0
    response = finalize(api, session["checkout_id"])
    assert response.status_code == 409 and response.json()["error"]["code"] == "finalization_failed"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "refunded"
    assert balance(card["id"]) == 1500
    assert_ledgers_balance()
