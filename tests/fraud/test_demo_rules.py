"""The run command's demo merchant is tried by one person with every test card: its rules
let a tester's pace through, and its block-listed test card still shows a block."""

import pytest

from fraud.models import FraudRule
from merchants.management.commands.bootstrap_demo import BLOCKED_TEST_CARD, fraud_for_one_tester
from tests.payments.helpers import DECLINE, SUCCESS, calculated_session, confirm, create_intent, ok, tokenize

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
