"""The run command's demo merchant is tried by one person with every test card: its rules
let a tester's pace through, and its block-listed test card still shows a block."""

import pytest

from fraud.models import FraudRule
from merchants.management.commands.bootstrap_demo import BLOCKED_TEST_CARD, fraud_for_one_tester
from tests.payments.helpers import (
    DECLINE,
    DIGITAL_CART,
    SUCCESS,
    calculated_session,
    confirm,
    create_intent,
    ok,
    tokenize,
)

pytestmark = pytest.mark.django_db(transaction=True)


def pay(api, number):
    intent = create_intent(api, calculated_session(api)["checkout_id"])
    return confirm(api, intent["id"], tokenize(api, number))


def test_a_tester_trying_cards_is_not_blocked_and_the_blocked_test_card_is(api):
    fraud_for_one_tester(api.merchant)
    rules = FraudRule.objects.filter(merchant=api.merchant)
    assert rules.filter(is_active=True).count() == 5, "every platform rule stays on"
    # With the platform's tiers the fifth attempt from one IP in ten minutes goes to review
    # and the tenth is blocked; the demo's tester gets through.
    for _ in range(3):
        assert pay(api, DECLINE).status_code == 402
    for _ in range(4):
        assert ok(pay(api, SUCCESS))["status"] == "succeeded"
    blocked = pay(api, BLOCKED_TEST_CARD)
    assert blocked.status_code == 402 and blocked.json()["error"]["code"] == "fraud_block"


def test_the_demo_ledger_leaves_no_test_card_allowed_past_fraud(api):
    """The README's 4242 must still meet fraud's review above the amount threshold after the
    run command seeded the demo's payments with it."""
    from django.core.management import call_command

    from fraud.models import ListEntry
    from ledger.models import BalanceTransaction
    from merchants.management.commands.bootstrap_demo import DEMO_NAME

    api.merchant.name = DEMO_NAME
    api.merchant.save(update_fields=["name"])
    fraud_for_one_tester(api.merchant)
    call_command("ledger_demo")
    assert BalanceTransaction.objects.filter(merchant=api.merchant).exists(), "the demo's payments went through"
    assert not ListEntry.objects.filter(merchant=api.merchant, list="allow").exists()
    cart = {**DIGITAL_CART, "lines": [{"sku": "BIG", "name": "Big", "quantity": 1, "unit_amount": 130_000,
                                       "requires_shipping": False}]}  # fmt: skip
    large = calculated_session(api, cart)
    response = confirm(api, create_intent(api, large["checkout_id"])["id"], tokenize(api, SUCCESS))
    assert ok(response)["status"] == "requires_capture", "held for review, not captured"
