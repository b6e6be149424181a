"""Gives the demo merchant money to look at: a few card payments through the simulator
(one declined, one partly refunded), then the day's analytics, so the finance dashboard,
GET /metrics and the ledger pages show something on a fresh run. Runs once, after
bootstrap_demo has set the demo's fraud rules for one tester's pace: these payments are
scored like any other, and no test card is left allow-listed (which would let the
README's 4242 skip fraud's review of a large order)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from core.exceptions import DomainError
from ledger.models import BalanceTransaction
from ledger.services.analytics import analytics_rollup_day
from merchants.management.commands.bootstrap_demo import DEMO_NAME
from merchants.models import Merchant
from payments.services import (
    payment_intent_attach_method,
    payment_intent_confirm,
    payment_intent_create,
    payment_intent_refund,
    payment_method_tokenize,
)

ACTOR = "system:demo"
CARDS = [("4242424242424242", 2400), ("4242424242424242", 5900), ("4000000000000002", 1200),
         ("4242424242424242", 12900), ("4242424242424242", 3300)]  # fmt: skip


class Command(BaseCommand):
    help = "Seed the demo merchant's payments, balance transactions and analytics (once)."

    def handle(self, *args, **options):
        merchant = Merchant.objects.filter(name=DEMO_NAME).first()
        if merchant is None or BalanceTransaction.objects.filter(merchant=merchant).exists():
            return
        paid = []
        for number, amount in CARDS:
            method = payment_method_tokenize(
                merchant_id=merchant.pk, number=number, exp_month=12, exp_year=2034, cvc="123"
            )
            payment = payment_intent_create(merchant_id=merchant.pk, amount=amount, currency="USD", actor=ACTOR)
            ids = {"merchant_id": merchant.pk, "payment_intent_id": payment.public_id, "actor": ACTOR}
            payment_intent_attach_method(**ids, payment_method_id=method.public_id)
            try:
                paid.append(payment_intent_confirm(**ids))
            except DomainError:
                continue  # the declined test card: a failed attempt for the analytics
        if paid:
            payment_intent_refund(merchant_id=merchant.pk, payment_intent_id=paid[0].public_id, actor=ACTOR, amount=900)
        analytics_rollup_day(day=timezone.localdate(), merchant_id=merchant.pk)
        self.stdout.write(
            f"Demo ledger: {BalanceTransaction.objects.filter(merchant=merchant).count()} balance transactions."
        )
