"""The refund API on a split-paid order: the card first, then the gift card; explicit
parts; refunds to store credit; never more than each part took, even when racing."""

import pytest
from django.core.cache import cache

from payments.models import PaymentTransaction
from payments.simulator.models import SimulatorCharge
from payments.wallet.models import SplitPayment, StoreCreditAccount
from refunds.models import RefundRequest
from tests.checkout.finalize_helpers import finalize, ready_session
from tests.concurrency import run_together
from tests.conftest import MerchantClient
from tests.payments.helpers import confirm, create_intent, ok, tokenize
from tests.refunds.helpers import refund_detail
from tests.refunds.helpers import request_refund as _request_refund
from tests.wallet.helpers import OWNED_CART, OWNER, apply_card, assert_ledgers_balance, balance, issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits(api):
    cache.clear()
    api.merchant.extra_settings = {**api.merchant.extra_settings, "refund_auto_approve_max_amount": 10**9}
    api.merchant.save(update_fields=["extra_settings"])
    yield
    cache.clear()


def _paid_order(api, gift=1500, cart=None):
    session = ready_session(api, **({"cart": cart} if cart else {}))
    card = issue(api, gift)
    ok(apply_card(api, session["checkout_id"], card["code"]))
    intent = create_intent(api, session["checkout_id"])
    ok(confirm(api, intent["id"], tokenize(api)))
    ok(finalize(api, session["checkout_id"]), 201)
    return session, card, intent


@pytest.fixture
def request_refund(django_capture_on_commit_callbacks):
    def request(client, payment_intent_id, **body):
        # The approved refund is processed once its request commits, as in production.
        with django_capture_on_commit_callbacks(execute=True):
            return _request_refund(client, payment_intent_id, **body)

    return request


def settled(api, response) -> dict:
    """The refund as it stands once processing after the commit ran."""
    return ok(refund_detail(api, ok(response, 201)["id"]))


def _charged_back(intent_id) -> int:
    """What the simulated processor itself refunded on the intent's card."""
    charges = SimulatorCharge.objects.filter(metadata__payment_intent=intent_id)
    return sum(charges.values_list("amount_refunded", flat=True))


def _parts(intent_id):
    split = SplitPayment.objects.get(payment__public_id=intent_id, state="completed")
    return list(split.parts.order_by("position").values_list("kind", "amount_refunded"))


def test_a_refund_of_everything_gives_the_card_its_part_and_the_gift_card_the_rest(api, request_refund):
    session, card, intent = _paid_order(api)
    card_part = intent["amount"]
    total = session["totals"]["grand_total"]
    refund = settled(api, request_refund(api, intent["id"]))
    assert refund["amount"] == total and refund["status"] == "completed"
    assert refund["allocations"] == [
        {"part": 1, "type": "card", "amount": card_part},
        {"part": 0, "type": "gift_card", "amount": 1500},
    ]
    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert payment.state == "refunded" and payment.amount_refunded == card_part
    assert _charged_back(intent["id"]) == card_part  # the processor gave back the card's part only
    assert balance(card["id"]) == 1500
    assert _parts(intent["id"]) == [("gift_card", 1500), ("card", card_part)]
    nothing = request_refund(api, intent["id"], amount=1)
    assert nothing.status_code == 400 and nothing.json()["error"]["code"] == "refund_exceeds_captured"
    assert_ledgers_balance()


def test_a_small_refund_comes_off_the_card_and_named_parts_are_honoured(api, request_refund):
    _, card, intent = _paid_order(api)
    small = settled(api, request_refund(api, intent["id"], amount=300))
    assert small["allocations"] == [{"part": 1, "type": "card", "amount": 300}]
    assert balance(card["id"]) == 0
    to_gift = settled(api, request_refund(api, intent["id"], allocations=[{"part": 0, "amount": 500}]))
    assert to_gift["amount"] == 500 and to_gift["status"] == "completed"
    assert balance(card["id"]) == 500
    # Only the gift card's part was drawn on: the card's captured money is untouched.
    assert PaymentTransaction.objects.get(public_id=intent["id"]).amount_refunded == 300
    too_much = request_refund(api, intent["id"], allocations=[{"part": 0, "amount": 1001}])
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "refund_exceeds_part"
    unknown = request_refund(api, intent["id"], allocations=[{"part": 7, "amount": 1}])
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "split_invalid"
    mismatch = request_refund(api, intent["id"], amount=10, allocations=[{"part": 0, "amount": 5}])
    assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == "amount_mismatch"
    assert_ledgers_balance()


def test_a_refund_to_store_credit_calls_no_gateway_and_lands_on_the_owners_account(api, request_refund):
    session, card, intent = _paid_order(api, cart=OWNED_CART)
    total = session["totals"]["grand_total"]
    refund = settled(api, request_refund(api, intent["id"], refund_to="store_credit"))
    assert refund["status"] == "completed" and refund["refund_to"] == "store_credit"
    account = StoreCreditAccount.objects.get(customer_id=OWNER, currency="USD")
    assert account.balance == total
    # The gift card is not credited back: the whole refund went to store credit.
    assert balance(card["id"]) == 0
    stored = RefundRequest.objects.get(public_id=refund["id"])
    assert stored.gateway_reference == "" and _charged_back(intent["id"]) == 0
    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert payment.amount_refunded == intent["amount"]
    assert_ledgers_balance()


def test_a_guest_refund_to_store_credit_must_name_the_customer(api, request_refund):
    _, _, intent = _paid_order(api)
    refused = request_refund(api, intent["id"], refund_to="store_credit")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "customer_required"
    refund = settled(api, request_refund(api, intent["id"], refund_to="store_credit", customer_id="cust_9", amount=700))
    assert refund["status"] == "completed"
    assert StoreCreditAccount.objects.get(customer_id="cust_9").balance == 700
    wrong = request_refund(api, intent["id"], customer_id="cust_9", amount=1)
    assert wrong.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_racing_refunds_of_everything_give_back_exactly_once(api):
    _, card, intent = _paid_order(api)
    results = run_together(4, lambda _: _request_refund(MerchantClient(api.secrets), intent["id"]).status_code)
    assert sorted(results) == [201, 400, 400, 400]
    assert balance(card["id"]) == 1500
    assert RefundRequest.objects.filter(state="completed").count() == 1
    assert_ledgers_balance()
