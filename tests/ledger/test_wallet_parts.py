"""Gift card and store credit parts of a split payment write their balance transactions
(non-cash: counted in analytics, never paid out), and so does giving them back."""

import pytest

from ledger.models import BalanceTransaction
from tests.ledger.helpers import expected_net, ledger_net
from tests.payments.helpers import THREE_DS, confirm, create_intent, intent_url, ok, tokenize
from tests.wallet.helpers import issue

pytestmark = pytest.mark.django_db


def _split(api, payment_intent_id, allocations):
    return api.post(intent_url(payment_intent_id, "split"), {"allocations": allocations}, format="json")


def _intent(api, **body):
    from tests.checkout.finalize_helpers import ready_session

    return create_intent(api, ready_session(api)["checkout_id"], **body)


def _rows(merchant):
    return list(
        BalanceTransaction.objects.filter(merchant=merchant)
        .order_by("id")
        .values_list("type", "amount", "fee", "cash", "source_type")
    )


def test_a_gift_card_part_and_a_card_part(api):
    intent = _intent(api)
    total = intent["amount"]
    card = issue(api, 1000)
    ok(_split(api, intent["id"], [
        {"type": "gift_card", "code": card["code"], "amount": 1000},
        {"type": "card", "payment_method_id": tokenize(api), "amount": total - 1000},
    ]))  # fmt: skip
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    card_fee = ((total - 1000) * 29 + 500) // 1000 + 30  # 2.9%, rounded half up, + 30
    assert _rows(api.merchant) == [
        ("gift_card", 1000, 0, False, "split_part"),
        ("charge", total - 1000, card_fee, True, "payment"),
    ]
    assert ledger_net(api.merchant) == expected_net(api.merchant) == total - 1000 - card_fee


def test_a_failed_split_gives_the_gift_card_part_back_in_the_ledger_too(api):
    from payments.simulator import processor
    from payments.simulator.models import SimulatorCharge

    intent = _intent(api)
    total = intent["amount"]
    card = issue(api, 500)
    ok(_split(api, intent["id"], [
        {"type": "gift_card", "code": card["code"], "amount": 500},
        {"type": "card", "payment_method_id": tokenize(api, THREE_DS), "amount": total - 500},
    ]))  # fmt: skip
    assert ok(confirm(api, intent["id"]))["status"] == "requires_action"
    charge = SimulatorCharge.objects.get(idempotency_key__startswith=intent["id"])
    processor.charge_authenticate(reference=charge.reference, success=False)
    assert api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json").status_code == 402
    assert _rows(api.merchant) == [
        ("gift_card", 500, 0, False, "split_part"),
        ("gift_card", -500, 0, False, "split_part"),
    ]
    assert ledger_net(api.merchant) == 0
