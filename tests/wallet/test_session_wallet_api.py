"""The seed's session endpoints: apply and remove gift cards, apply store credit, the wallet."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from checkout.models import CheckoutSession, Order
from merchants.models import Event
from payments.models import PaymentTransaction
from payments.wallet.models import GiftCard, SplitPayment
from tests.checkout.finalize_helpers import finalize, ready_session, session_url
from tests.payments.helpers import V1, attach, confirm, create_intent, ok, tokenize
from tests.wallet.helpers import OWNED_CART, apply_card, assert_ledgers_balance, balance, grant, issue, wallet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _total(session) -> int:
    return session["totals"]["grand_total"]


def test_apply_answers_applied_remaining_and_due_and_charges_nothing(api):
    session = ready_session(api)
    total = _total(session)
    card = issue(api, 2000)
    body = ok(apply_card(api, session["checkout_id"], card["code"]))
    assert (body["applied_amount"], body["remaining_balance"], body["amount_due"]) == (2000, 0, total - 2000)
    assert balance(card["id"]) == 2000  # applying reserves and charges nothing
    totals = ok(api.get(session_url(session["checkout_id"])))["totals"]
    assert totals["gift_card_total"] == 2000 and totals["store_credit_total"] == 0
    assert totals["amount_due"] == total - 2000
    # Applying the same card again answers as it stands.
    again = ok(apply_card(api, session["checkout_id"], card["code"].lower()))
    assert again["applied_amount"] == 2000 and again["amount_due"] == total - 2000


def test_a_card_worth_more_than_the_order_covers_only_what_is_due(api):
    session = ready_session(api)
    total = _total(session)
    card = issue(api, total + 500)
    body = ok(apply_card(api, session["checkout_id"], card["code"]))
    assert (body["applied_amount"], body["remaining_balance"], body["amount_due"]) == (total, 500, 0)
    second = issue(api, 100)
    refused = apply_card(api, session["checkout_id"], second["code"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "nothing_to_pay"


def test_several_cards_and_remove(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    first, second = issue(api, 1000), issue(api, 1500)
    ok(apply_card(api, checkout_id, first["code"]))
    body = ok(apply_card(api, checkout_id, second["code"]))
    assert body["amount_due"] == _total(session) - 2500
    after = ok(api.post(f"{session_url(checkout_id)}/remove-giftcard/{first['code']}", {}, format="json"))
    assert after["gift_card_total"] == 1500 and [a["id"] for a in after["applied"]] == [second["id"]]
    missing = api.post(f"{session_url(checkout_id)}/remove-giftcard/{first['code']}", {}, format="json")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "gift_card_not_found"


def test_each_unusable_card_has_its_own_code(api, other_api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    expired = issue(api, 100, expires_at=(timezone.now() + timedelta(days=1)).isoformat())
    GiftCard.objects.filter(public_id=expired["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    disabled = issue(api, 100)
    ok(api.post(f"{V1}/gift-cards/{disabled['id']}/disable", {}, format="json"))
    euro = issue(api, 100, currency="EUR")
    theirs = issue(other_api, 100)
    cases = [
        (expired["code"], 422, "gift_card_expired"),
        (disabled["code"], 422, "gift_card_disabled"),
        (euro["code"], 422, "gift_card_currency_mismatch"),
        ("NOPE-NOPE-NOPE-NOPE", 404, "gift_card_not_found"),
        # Another merchant's card answers exactly like a wrong code.
        (theirs["code"], 404, "gift_card_not_found"),
    ]
    for code, status, error in cases:
        response = apply_card(api, checkout_id, code)
        assert (response.status_code, response.json()["error"]["code"]) == (status, error), code
    assert wallet(api, checkout_id)["applied"] == []


def test_guessing_codes_is_rate_limited_and_logged(api, caplog):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    card = issue(api, 100)
    for number in range(10):
        response = apply_card(api, checkout_id, f"WRONGCODE{number:04d}")
        assert response.status_code == 404
    assert "gift card code not found" in caplog.text and "WRONGCODE" not in caplog.text
    limited = apply_card(api, checkout_id, card["code"])
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "too_many_attempts"


def test_store_credit_of_the_sessions_owner(api):
    grant(api, 800)
    session = ready_session(api, cart=OWNED_CART)
    checkout_id = session["checkout_id"]
    body = ok(api.post(f"{session_url(checkout_id)}/apply-store-credit", {"amount": 1000}, format="json"))
    assert body["store_credit_total"] == 800 and body["amount_due"] == _total(session) - 800
    assert body["available"]["store_credit"] == 800
    guest = ready_session(api, cart={**OWNED_CART, "owner": {"type": "guest", "id": "cust_1"}})
    as_guest = api.post(f"{session_url(guest['checkout_id'])}/apply-store-credit", {"amount": 100}, format="json")
    assert as_guest.status_code == 422  # a guest is nobody's customer account
    nobody = ready_session(api)
    refused = api.post(f"{session_url(nobody['checkout_id'])}/apply-store-credit", {"amount": 100}, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "store_credit_unavailable"


def test_the_card_intent_is_for_what_is_left_and_the_split_takes_the_gift_card(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    total = _total(session)
    card = issue(api, 1200)
    ok(apply_card(api, checkout_id, card["code"]))
    intent = create_intent(api, checkout_id)
    assert intent["amount"] == total - 1200
    ok(attach(api, intent["id"], tokenize(api)))
    paid = ok(confirm(api, intent["id"]))
    assert paid["status"] == "succeeded"
    assert balance(card["id"]) == 0
    split = SplitPayment.objects.get(payment__public_id=intent["id"])
    assert split.state == "completed" and split.amount == total
    order = ok(finalize(api, checkout_id), 201)["order"]
    assert order["amount"] == total
    assert Event.objects.filter(type="gift_card.used").count() == 1
    assert Event.objects.filter(type="split_payment.completed").count() == 1
    assert_ledgers_balance()


def test_a_declined_card_leaves_the_gift_card_untouched_and_can_be_retried(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    card = issue(api, 1000)
    ok(apply_card(api, checkout_id, card["code"]))
    intent = create_intent(api, checkout_id)
    declined = confirm(api, intent["id"], tokenize(api, "4000000000000002"))
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "payment_declined"
    assert balance(card["id"]) == 1000
    failed = SplitPayment.objects.get(payment__public_id=intent["id"], state="failed")
    assert failed.failure_code == "payment_declined" and failed.failed_part == 1
    kinds = list(GiftCard.objects.get(public_id=card["id"]).ledger.values_list("kind", flat=True))
    assert kinds == ["issue", "debit", "reversal"]
    assert Event.objects.filter(type="split_payment.failed").count() == 1
    # The shopper tries again with another card: a fresh split takes the gift card again.
    retried = ok(confirm(api, intent["id"], tokenize(api)))
    assert retried["status"] == "succeeded" and balance(card["id"]) == 0
    assert ok(finalize(api, checkout_id), 201)["order"]["amount"] == _total(session)
    assert_ledgers_balance()


def test_a_session_covered_by_gift_cards_completes_without_a_card(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    total = _total(session)
    card = issue(api, total + 1)
    ok(apply_card(api, checkout_id, card["code"]))
    no_card = api.post(f"{session_url(checkout_id)}/payment-intents", {}, format="json")
    assert no_card.status_code == 409 and no_card.json()["error"]["code"] == "covered_by_wallet"
    order = ok(finalize(api, checkout_id), 201)["order"]
    assert order["amount"] == total
    assert balance(card["id"]) == 1
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "completed"
    assert Event.objects.filter(type="gift_card.used", checkout_id=checkout_id).count() == 1
    assert not PaymentTransaction.objects.exists()
    assert Order.objects.count() == 1
    # Finalizing again returns the same order and takes nothing more.
    assert ok(finalize(api, checkout_id))["order"]["id"] == order["id"] and balance(card["id"]) == 1
    assert_ledgers_balance()


def test_a_card_spent_elsewhere_stops_finalization_whole(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    card = issue(api, _total(session))
    ok(apply_card(api, checkout_id, card["code"]))
    ok(api.post(f"{V1}/gift-cards/{card['id']}/disable", {}, format="json"))
    response = finalize(api, checkout_id)
    assert response.status_code == 409  # the disabled card covers nothing now: not paid
    assert balance(card["id"]) == _total(session) and not Order.objects.exists()
    assert not SplitPayment.objects.exists()


def test_wallet_routes_hide_another_merchants_session(api, other_api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    card = issue(other_api, 100)
    assert other_api.get(f"{session_url(checkout_id)}/wallet").status_code == 404
    assert apply_card(other_api, checkout_id, card["code"]).status_code == 404


def test_a_gift_card_applied_after_the_intent_resizes_it_so_the_card_pays_only_what_is_left(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    total = _total(session)
    intent = create_intent(api, checkout_id)
    assert intent["amount"] == total
    card = issue(api, 1200)
    assert ok(apply_card(api, checkout_id, card["code"]))["amount_due"] == total - 1200
    assert ok(api.get(f"{V1}/payment-intents/{intent['id']}"))["amount"] == total - 1200
    ok(attach(api, intent["id"], tokenize(api)))
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    assert balance(card["id"]) == 0
    assert PaymentTransaction.objects.get(public_id=intent["id"]).amount_captured == total - 1200
    assert ok(finalize(api, checkout_id), 201)["order"]["amount"] == total
    # Removing it again before paying would have asked the card for the whole total.
    other = ready_session(api)
    other_intent = create_intent(api, other["checkout_id"])
    other_card = issue(api, 500)
    ok(apply_card(api, other["checkout_id"], other_card["code"]))
    ok(api.post(f"{session_url(other['checkout_id'])}/remove-giftcard/{other_card['code']}", {}, format="json"))
    assert ok(api.get(f"{V1}/payment-intents/{other_intent['id']}"))["amount"] == _total(other)
    assert_ledgers_balance()


def test_a_gift_card_covering_everything_after_the_intent_cancels_it_and_finalize_takes_the_card(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    total = _total(session)
    intent = create_intent(api, checkout_id)
    card = issue(api, total)
    assert ok(apply_card(api, checkout_id, card["code"]))["amount_due"] == 0
    assert ok(api.get(f"{V1}/payment-intents/{intent['id']}"))["status"] == "canceled"
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "payment_processing"
    order = ok(finalize(api, checkout_id), 201)["order"]
    assert order["amount"] == total and balance(card["id"]) == 0
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "completed"
    assert_ledgers_balance()


def test_the_wallet_cannot_change_once_the_card_payment_is_under_way(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    intent = create_intent(api, checkout_id)
    ok(attach(api, intent["id"], tokenize(api)))
    ok(confirm(api, intent["id"]))
    card = issue(api, 500)
    refused = apply_card(api, checkout_id, card["code"])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] in {"payment_in_progress", "invalid_state_transition"}
    assert balance(card["id"]) == 500


def test_a_gift_card_removed_after_a_decline_is_not_taken_on_the_retry(api):
    # Declined with a gift card applied, the shopper takes the gift card off and pays the
    # whole total by card: the retry is the intent alone, never the failed split again.
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    total = _total(session)
    card = issue(api, 1000)
    ok(apply_card(api, checkout_id, card["code"]))
    intent = create_intent(api, checkout_id)
    declined = confirm(api, intent["id"], tokenize(api, "4000000000000002"))
    assert declined.status_code == 402
    ok(api.post(f"{session_url(checkout_id)}/remove-giftcard/{card['code']}", {}, format="json"))
    assert ok(api.get(f"{V1}/payment-intents/{intent['id']}"))["amount"] == total
    paid = ok(confirm(api, intent["id"], tokenize(api)))
    assert paid["status"] == "succeeded"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).amount_captured == total
    assert balance(card["id"]) == 1000
    kinds = list(GiftCard.objects.get(public_id=card["id"]).ledger.values_list("kind", flat=True))
    assert kinds == ["issue", "debit", "reversal"]
    assert ok(finalize(api, checkout_id), 201)["order"]["amount"] == total
    assert_ledgers_balance()
