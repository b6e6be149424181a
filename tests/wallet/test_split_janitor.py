"""A split a process left half done is finished or undone by the janitor."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from payments.services.maintenance import payments_settle_open
from payments.wallet import split as split_service
from payments.wallet.models import SplitPayment
from tests.checkout.finalize_helpers import ready_session
from tests.payments.helpers import attach, confirm, create_intent, ok, tokenize
from tests.wallet.helpers import apply_card, assert_ledgers_balance, balance, issue

pytestmark = pytest.mark.django_db


def _session_with_gift_card(api, amount=1000):
    cache.clear()
    session = ready_session(api)
    card = issue(api, amount)
    ok(apply_card(api, session["checkout_id"], card["code"]))
    intent = create_intent(api, session["checkout_id"])
    return card, intent


def _age(split):
    SplitPayment.objects.filter(pk=split.pk).update(updated_at=timezone.now() - timedelta(hours=1))


def test_a_process_that_died_after_the_debits_is_undone(api):
    card, intent = _session_with_gift_card(api)
    # The process debits the gift card, then dies before the card is sent.
    claimed = split_service._claim(merchant_id=api.merchant.pk, payment_intent_id=intent["id"], actor="test")
    split_service._debit_balances(claimed.pk, actor="test")
    assert balance(card["id"]) == 0
    assert payments_settle_open() == 0  # not stale yet: its request may still be running
    _age(claimed)
    payments_settle_open()
    claimed.refresh_from_db()
    assert claimed.state == "failed" and claimed.failure_code == "abandoned"
    assert balance(card["id"]) == 1000
    # The shopper can still pay: a fresh split takes the gift card again.
    assert ok(confirm(api, intent["id"], tokenize(api)))["status"] == "succeeded"
    assert balance(card["id"]) == 0
    assert_ledgers_balance()


def test_a_card_taken_after_the_process_died_completes_the_split(api):
    card, intent = _session_with_gift_card(api)
    ok(attach(api, intent["id"], tokenize(api)))
    ok(confirm(api, intent["id"]))
    split = SplitPayment.objects.get(payment__public_id=intent["id"])
    # As if the record of the split's end was lost after the card succeeded.
    SplitPayment.objects.filter(pk=split.pk).update(state="processing")
    split.parts.filter(kind="card").update(status="pending")
    _age(split)
    payments_settle_open()
    split.refresh_from_db()
    assert split.state == "completed" and balance(card["id"]) == 0
