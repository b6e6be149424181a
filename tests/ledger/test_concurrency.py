"""Races on the money path, with real threads against PostgreSQL: whatever order two
refunds of one payment land in, the ledger holds exactly the refunds recorded."""

import pytest
from django.db.models import Sum

from ledger.models import BalanceTransaction
from payments.models import PaymentTransaction
from payments.services import payment_intent_refund
from tests.concurrency import run_together
from tests.conftest import MerchantClient
from tests.factories import merchant_with_keys
from tests.ledger.helpers import expected_net, ledger_net
from tests.refunds.helpers import captured_intent

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_refunds_write_one_row_each_and_add_up():
    api = MerchantClient(merchant_with_keys("Race refunds"))
    intent_id = captured_intent(api)

    def refund(i):
        return payment_intent_refund(
            merchant_id=api.merchant.pk, payment_intent_id=intent_id, actor="test:race", amount=1000 + i
        )

    results = run_together(3, refund)
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    succeeded = [r for r in results if isinstance(r, PaymentTransaction)]
    assert succeeded, results  # at least one went through; the others saw it in progress
    refunds = BalanceTransaction.objects.filter(merchant=api.merchant, type="refund")
    assert refunds.count() == payment.events.filter(type="refund.recorded").count() >= 1
    assert -refunds.aggregate(s=Sum("amount"))["s"] == payment.amount_refunded
    assert ledger_net(api.merchant) == expected_net(api.merchant)
