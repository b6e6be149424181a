"""POST /payment-intents/{id}/split and the split payment's all-or-nothing run."""

import pytest
from django.core.cache import cache

from merchants.models import Event
from payments.models import PaymentTransaction
from payments.simulator import processor
from payments.simulator.models import SimulatorCharge
from payments.wallet.models import SplitPayment
from tests.checkout.finalize_helpers import finalize, ready_session
from tests.payments.helpers import DECLINE, THREE_DS, confirm, create_intent, intent_url, ok, tokenize
from tests.wallet.helpers import assert_ledgers_balance, balance, issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def split(api, payment_intent_id, allocations):
    return api.post(intent_url(payment_intent_id, "split"), {"allocations": allocations}, format="json")


def _intent(api, **body):
    session = ready_session(api)
    return session, create_intent(api, session["checkout_id"], **body)


def test_gift_card_and_two_cards_all_succeed(api):
    session, intent = _intent(api)
    total = intent["amount"]
    card = issue(api, 1000)
    first_card = tokenize(api)
    body = ok(
        split(
            api,
            intent["id"],
            [
                {"type": "card", "payment_method_id": first_card, "amount": 1500},
                {"type": "gift_card", "code": card["code"], "amount": 1000},
                {"type": "card", "payment_method_id": tokenize(api), "amount": total - 2500},
            ],
        )
    )
    # Balances first, then the cards in the order given; the intent is the last card.
    assert [p["type"] for p in body["parts"]] == ["gift_card", "card", "card"]
    assert body["status"] == "pending" and body["amount"] == total
    assert ok(api.get(intent_url(intent["id"])))["amount"] == total - 2500
    paid = ok(confirm(api, intent["id"]))
    assert paid["status"] == "succeeded"
    split_payment = SplitPayment.objects.get(payment__public_id=intent["id"])
    assert split_payment.state == "completed"
    assert [p.status for p in split_payment.parts.all()] == ["succeeded"] * 3
    other = split_payment.parts.get(position=1).payment
    assert other.state == "completed" and other.amount == 1500
    assert balance(card["id"]) == 0
    assert ok(finalize(api, session["checkout_id"]), 201)["order"]["amount"] == total
    # Confirming again answers as it stands and charges nothing more.
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    assert PaymentTransaction.objects.filter(state="completed").count() == 2
    assert_ledgers_balance()


def test_allocations_must_add_up_and_name_a_card(api):
    _, intent = _intent(api)
    card = issue(api, 5000)
    short = split(api, intent["id"], [{"type": "card", "payment_method_id": tokenize(api), "amount": 1}])
    assert short.status_code == 400 and short.json()["error"]["code"] == "amount_mismatch"
    only_balance = split(api, intent["id"], [{"type": "gift_card", "code": card["code"], "amount": intent["amount"]}])
    assert only_balance.status_code == 400 and only_balance.json()["error"]["code"] == "card_part_required"
    unknown = split(
        api,
        intent["id"],
        [
            {"type": "gift_card", "code": "NOTACARD0000", "amount": 100},
            {"type": "card", "payment_method_id": tokenize(api), "amount": intent["amount"] - 100},
        ],
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "gift_card_not_found"
    bad = api.post(intent_url(intent["id"], "split"), {"allocations": [{"type": "cash", "amount": 5}]}, format="json")
    assert bad.status_code == 400
    assert not SplitPayment.objects.exists()


def test_second_card_fails_3ds_first_card_voided_gift_card_restored(api):
    session, intent = _intent(api, capture_mode="manual")
    total = intent["amount"]
    card = issue(api, 500)
    ok(
        split(
            api,
            intent["id"],
            [
                {"type": "gift_card", "code": card["code"], "amount": 500},
                {"type": "card", "payment_method_id": tokenize(api), "amount": 1000},
                {"type": "card", "payment_method_id": tokenize(api, THREE_DS), "amount": total - 1500},
            ],
        )
    )
    suspended = ok(confirm(api, intent["id"]))
    assert suspended["status"] == "requires_action"
    split_payment = SplitPayment.objects.get(payment__public_id=intent["id"])
    assert split_payment.state == "processing" and balance(card["id"]) == 0
    first = split_payment.parts.get(position=1).payment
    assert first.state == "authorized"
    # The shopper fails 3-D Secure at the simulator, then the client says it is done.
    charge = SimulatorCharge.objects.get(idempotency_key__startswith=intent["id"])
    processor.charge_authenticate(reference=charge.reference, success=False)
    failed = api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json")
    assert failed.status_code == 402
    split_payment.refresh_from_db()
    assert split_payment.state == "failed" and split_payment.failed_part == 2
    first.refresh_from_db()
    assert first.state == "cancelled"  # the first card's authorization was voided
    assert balance(card["id"]) == 500
    assert Event.objects.filter(type="split_payment.failed").count() == 1
    assert_ledgers_balance()


def test_another_merchants_intent_cannot_be_split(api, other_api):
    _, intent = _intent(api)
    response = split(other_api, intent["id"], [{"type": "card", "payment_method_id": "pm_x", "amount": 1}])
    assert response.status_code == 404


def test_a_card_part_settled_by_the_gateways_event_carries_the_split_on_at_once(
    api, django_capture_on_commit_callbacks
):
    # The first card asks for 3-D Secure; the shopper passes it and never comes back.
    session, intent = _intent(api)
    total = intent["amount"]
    card = issue(api, 500)
    ok(
        split(
            api,
            intent["id"],
            [
                {"type": "gift_card", "code": card["code"], "amount": 500},
                {"type": "card", "payment_method_id": tokenize(api, THREE_DS), "amount": 1000},
                {"type": "card", "payment_method_id": tokenize(api), "amount": total - 1500},
            ],
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        ok(confirm(api, intent["id"]))
    split_payment = SplitPayment.objects.get(payment__public_id=intent["id"])
    first = split_payment.parts.get(position=1).payment
    assert split_payment.state == "processing" and first.state == "requires_action"
    charge = SimulatorCharge.objects.get(idempotency_key__startswith=first.public_id)
    # The simulator's 3-D Secure callback and webhook arrive; no client call, no janitor.
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_authenticate(reference=charge.reference, success=True)
    split_payment.refresh_from_db()
    assert split_payment.state == "completed"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "completed"
    assert ok(finalize(api, session["checkout_id"]), 201)["order"]["amount"] == total
    assert balance(card["id"]) == 0
    assert_ledgers_balance()


def test_a_later_card_declining_refunds_the_captured_earlier_card_and_restores_the_gift_card(api):
    session, intent = _intent(api)  # automatic capture: the first card is charged outright
    total = intent["amount"]
    card = issue(api, 500)
    ok(
        split(
            api,
            intent["id"],
            [
                {"type": "gift_card", "code": card["code"], "amount": 500},
                {"type": "card", "payment_method_id": tokenize(api), "amount": 1000},
                {"type": "card", "payment_method_id": tokenize(api, DECLINE), "amount": total - 1500},
            ],
        )
    )
    declined = confirm(api, intent["id"])
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "payment_declined"
    split_payment = SplitPayment.objects.get(payment__public_id=intent["id"])
    assert split_payment.state == "failed" and split_payment.failed_part == 2
    first = split_payment.parts.get(position=1)
    assert first.status == "reversed"
    assert first.payment.state == "refunded" and first.payment.amount_refunded == 1000
    charge = SimulatorCharge.objects.get(idempotency_key__startswith=first.payment.public_id)
    assert charge.amount_refunded == 1000  # given back at the processor, not only in our books
    assert balance(card["id"]) == 500
    assert Event.objects.filter(type="split_payment.failed").count() == 1
    assert not PaymentTransaction.objects.filter(state="completed").exists()
    assert_ledgers_balance()
