"""Giving back a split-paid order that could not be made: every part, once.

(Refunds a merchant asks for, cards first or by named parts, are in test_split_refund_requests.)"""

import pytest
from django.core.cache import cache

from payments.models import PaymentTransaction
from payments.wallet.models import SplitPayment
from payments.wallet.split import split_payment_give_back_parts
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


def test_an_order_that_cannot_be_made_gives_the_gift_card_back_too(api):
    load_stock(api, {"EBOOK": 1})  # the cart wants 2: finalization fails after payment
    session, card, intent = _paid(api)
    assert balance(card["id"]) == 0
    response = finalize(api, session["checkout_id"])
    assert response.status_code == 409 and response.json()["error"]["code"] == "finalization_failed"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "refunded"
    assert balance(card["id"]) == 1500
    # Giving back again (a retried job) gives nothing twice.
    split_payment_give_back_parts(merchant_id=api.merchant.pk, payment_intent_id=intent["id"], actor="test")
    assert balance(card["id"]) == 1500
    split = SplitPayment.objects.get(payment__public_id=intent["id"], state="completed")
    gift_part = split.parts.get(kind="gift_card")
    assert gift_part.amount_refunded == gift_part.amount == 1500
    assert_ledgers_balance()
