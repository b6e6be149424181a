"""The ledger's invariant, by a property test: random sequences of charges, partial and
full refunds, disputes opened, won and lost, days passing and the payout job, run
through payments' services and the simulator against PostgreSQL. After every step, for
the merchant and currency:

  - the cash balance transactions add up to captured − refunded − disputed − fees − paid out;
  - the fees are exactly the pricing's (2.9% + 30 per charge, 1500 per dispute);
  - each payout pays exactly the rows it claimed, all of them available by its day (so
    never more than was available), and after the job nothing positive is left unpaid.

State accumulates across examples (one merchant, a clock that only moves forward), so
the invariants are checked over ever longer histories. Derandomized and bounded for CI.
"""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fraud.services import list_entry_create
from ledger.models import BalanceTransaction, Payout
from ledger.services.payouts import payouts_create_due, payouts_settle_arrived
from payments.models import PaymentAttempt, PaymentTransaction
from payments.services import (
    payment_intent_attach_method,
    payment_intent_confirm,
    payment_intent_create,
    payment_intent_refund,
    payment_method_tokenize,
)
from payments.services.refunds import payment_refundable_amount
from payments.simulator import processor
from tests.factories import merchant_with_keys
from tests.payments.helpers import SUCCESS

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = "test:property"

step = st.one_of(
    st.tuples(st.just("pay"), st.sampled_from([100, 999, 5000, 12345])),
    st.tuples(st.just("refund"), st.integers(0, 7), st.sampled_from([10, 50, 100])),
    st.tuples(st.just("dispute"), st.integers(0, 7)),
    st.tuples(st.just("close"), st.integers(0, 7), st.booleans()),
    st.tuples(st.just("days"), st.integers(1, 4)),
)


def _fee(amount):
    return int((Decimal(amount) * Decimal("0.029")).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + 30


class World:
    def __init__(self):
        self.merchant = merchant_with_keys("Ledger property").merchant
        self.now = datetime(2026, 11, 2, 9, tzinfo=UTC)
        self.payments = []
        self.withdrawn = {}  # payment pk → what an open dispute took
        self.fees = 0

    def pick(self, index):
        return self.payments[index % len(self.payments)] if self.payments else None

    def apply(self, action):
        kind = action[0]
        if kind == "pay":
            self.pay(action[1])
        elif kind == "days":
            self.now += timedelta(days=action[1])
            with time_machine.travel(self.now, tick=False):
                payouts_create_due()
                payouts_settle_arrived()
            if self.now.weekday() < 5:
                # The job paid all that was available, or what is left is a debt (≤ 0).
                left = BalanceTransaction.objects.filter(
                    merchant=self.merchant, cash=True, payout__isnull=True, available_on__lte=self.now.date()
                )
                assert left.aggregate(n=Sum("net", default=0))["n"] <= 0
        elif self.payments:
            payment = PaymentTransaction.objects.get(pk=self.pick(action[1]))
            getattr(self, kind)(payment, *action[2:])

    def pay(self, amount):
        method = payment_method_tokenize(
            merchant_id=self.merchant.pk, number=SUCCESS, exp_month=12, exp_year=2034, cvc="123"
        )
        if len(self.payments) == 0:
            list_entry_create(
                merchant_id=self.merchant.pk, list="allow", kind="card_fingerprint", value=method.fingerprint
            )
        payment = payment_intent_create(merchant_id=self.merchant.pk, amount=amount, currency="USD", actor=ACTOR)
        ids = {"merchant_id": self.merchant.pk, "payment_intent_id": payment.public_id, "actor": ACTOR}
        payment_intent_attach_method(**ids, payment_method_id=method.public_id)
        payment = payment_intent_confirm(**ids)
        assert payment.state == "completed", payment.last_error
        self.payments.append(payment.pk)
        self.fees += _fee(amount)

    def refund(self, payment, percent):
        if payment.state not in ("completed", "partially_refunded"):
            return
        refundable = payment_refundable_amount(payment)
        if refundable <= 0:
            return
        amount = max(1, refundable * percent // 100)
        payment_intent_refund(
            merchant_id=self.merchant.pk, payment_intent_id=payment.public_id, actor=ACTOR, amount=amount
        )

    def _reference(self, payment):
        return PaymentAttempt.objects.get(transaction=payment).gateway_reference

    def dispute(self, payment):
        if payment.state not in ("completed", "partially_refunded"):
            return
        if payment.amount_captured <= payment.amount_refunded or payment.events.filter(type="state.disputed").exists():
            return
        processor.charge_dispute_open(reference=self._reference(payment))
        self.withdrawn[payment.pk] = payment.amount_captured - payment.amount_refunded
        self.fees += 1500

    def close(self, payment, won):
        if payment.state != "disputed":
            return
        processor.charge_dispute_close(reference=self._reference(payment), won=won)
        self.withdrawn.pop(payment.pk)

    def check(self):
        merchant = self.merchant
        cash = BalanceTransaction.objects.filter(merchant=merchant, currency="USD", cash=True)
        sums = PaymentTransaction.objects.filter(merchant=merchant).aggregate(
            captured=Sum("amount_captured", default=0), refunded=Sum("amount_refunded", default=0)
        )
        paid_out = (
            Payout.objects.filter(merchant=merchant).exclude(status="failed").aggregate(s=Sum("amount", default=0))
        )
        assert cash.aggregate(f=Sum("fee", default=0))["f"] == self.fees
        expected = sums["captured"] - sums["refunded"] - sum(self.withdrawn.values()) - self.fees - paid_out["s"]
        assert cash.aggregate(n=Sum("net", default=0))["n"] == expected
        assert cash.filter(type="charge").count() == len(self.payments)
        for payout in Payout.objects.filter(merchant=merchant):
            claimed = cash.filter(payout=payout).exclude(type="payout")
            assert claimed.aggregate(n=Sum("net"))["n"] == payout.amount > 0
            assert not claimed.filter(available_on__gt=payout.payout_date).exists()


def test_the_ledger_always_adds_up(django_capture_on_commit_callbacks):
    world = World()

    @settings(
        max_examples=8,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(step, min_size=1, max_size=8))
    def run(steps):
        for action in steps:
            with time_machine.travel(world.now, tick=False):
                world.apply(action)
            world.check()

    run()
    # Everything charged becomes available within four business days: the last payout.
    world.apply(("days", 6))
    while world.now.weekday() >= 5:
        world.apply(("days", 1))
    world.check()
    # The sequences reached every kind of movement, not only charges.
    kinds = set(BalanceTransaction.objects.filter(merchant=world.merchant).values_list("type", flat=True))
    assert {"charge", "refund", "dispute", "payout"} <= kinds, kinds
