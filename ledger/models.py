"""Where every cent went: balance transactions, the merchant's pricing, payouts.

Stripe's model: each movement of money is one balance transaction with its gross amount,
the fee taken from it, the net, and the day it becomes available for a payout. Rows are
never changed (a PostgreSQL trigger refuses it), except that a payout claims a row once
(`payout` from NULL to its id). Corrections are new rows.
"""

from django.db import models
from django.db.models import F, Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id
from core.process_cache import InvalidatingQuerySet


def _txn_id():
    return new_public_id("txn")


def _payout_id():
    return new_public_id("po")


class MerchantPricing(models.Model):
    """What the platform charges a merchant; a merchant without a row pays the defaults."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="pricing")
    card_percent_bps = models.PositiveIntegerField(default=290, help_text="Basis points of a card charge (290 = 2.9%)")
    card_fixed = models.PositiveIntegerField(default=30, help_text="Minor units added to each card charge")
    dispute_fee = models.PositiveIntegerField(default=1500, help_text="Minor units per dispute opened")
    payout_delay_days = models.PositiveSmallIntegerField(
        default=2, help_text="Business days before a charge is available for a payout"
    )
    payouts_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvalidatingQuerySet.as_manager()  # held in process memory (ledger/pricing.py)

    class Meta:
        verbose_name_plural = "merchant pricing"

    def __str__(self):
        return f"{self.card_percent_bps / 100}% + {self.card_fixed}"


class BalanceTransaction(models.Model):
    class Type(models.TextChoices):
        CHARGE = "charge"
        REFUND = "refund"
        DISPUTE = "dispute"
        DISPUTE_REVERSAL = "dispute_reversal"
        GIFT_CARD = "gift_card"
        STORE_CREDIT = "store_credit"
        INSTALLMENT = "installment"
        PAYOUT = "payout"
        PAYOUT_FAILURE = "payout_failure"
        ADJUSTMENT = "adjustment"

    class Source(models.TextChoices):
        PAYMENT = "payment"
        REFUND = "refund"
        DISPUTE = "dispute"
        PAYOUT = "payout"
        SPLIT_PART = "split_part"
        INSTALLMENT = "installment"
        ADJUSTMENT = "adjustment"

    public_id = models.CharField(max_length=40, unique=True, default=_txn_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="balance_transactions")
    type = models.CharField(max_length=20, choices=Type.choices)
    amount = models.BigIntegerField(help_text="Gross, signed minor units: money in is positive")
    fee = models.BigIntegerField(default=0, help_text="Minor units the platform kept")
    net = models.BigIntegerField(help_text="amount − fee")
    currency = models.CharField(max_length=3)
    # Cash passes through the processor and is paid out; gift card and store credit parts
    # are value the merchant already holds, so they count in analytics but never in a payout.
    cash = models.BooleanField(default=True)
    available_on = models.DateField()
    source_type = models.CharField(max_length=20, choices=Source.choices)
    source_id = models.CharField(max_length=100, help_text="The public id of what moved the money")
    payment = models.ForeignKey(
        "payments.PaymentTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payout = models.ForeignKey(
        "ledger.Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="balance_transactions"
    )
    key = models.CharField(max_length=160, help_text="What makes it unique for the merchant: a replay writes nothing")
    gateway = models.CharField(max_length=20, blank=True)
    gateway_reference = models.CharField(max_length=100, blank=True, db_index=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="balance_txn_key_unique"),
            models.CheckConstraint(condition=Q(net=F("amount") - F("fee")), name="balance_txn_net_is_amount_less_fee"),
        ]
        indexes = [
            models.Index(fields=["merchant", "currency", "available_on"], name="balance_txn_available"),
            models.Index(fields=["merchant", "created_at"], name="balance_txn_merchant_recent"),
            models.Index(fields=["source_type", "source_id"], name="balance_txn_source"),
        ]

    def __str__(self):
        return f"{self.public_id} {self.type} {self.net} {self.currency}"


class Payout(ConcurrentTransitionMixin, models.Model):
    """One transfer of a merchant's available balance in one currency to its bank."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        FAILED = "failed"

    public_id = models.CharField(max_length=40, unique=True, default=_payout_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="payouts")
    amount = models.BigIntegerField(help_text="Minor units sent to the bank")
    currency = models.CharField(max_length=3)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    payout_date = models.DateField(help_text="The day whose available balance it pays")
    arrival_date = models.DateField()
    # The text the bank statement shows for it, so a statement line can be matched back.
    reference = models.CharField(max_length=100, db_index=True)
    gateway = models.CharField(max_length=20, default="simulator")
    gateway_reference = models.CharField(max_length=100, blank=True, db_index=True)
    failure_code = models.CharField(max_length=60, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.UniqueConstraint(
                fields=["merchant", "currency", "payout_date", "gateway"], name="payout_one_per_day"
            ),
        ]

    def __str__(self):
        return self.public_id

    @transition(field=status, source=Status.PENDING, target=Status.PAID)
    def mark_paid(self, *, at):
        self.paid_at = at

    @transition(field=status, source=Status.PENDING, target=Status.FAILED)
    def fail(self, *, code):
        self.failure_code = code


class PaymentAnalytics(models.Model):
    """One merchant's day in one currency (seed 002 PAYMENT_ANALYTICS), recomputed from
    the balance transactions, attempts, disputes and fraud assessments by the daily job."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    currency = models.CharField(max_length=3)
    total_transactions = models.PositiveIntegerField(default=0, help_text="Payment attempts sent to the gateway")
    successful_transactions = models.PositiveIntegerField(default=0)
    total_amount = models.BigIntegerField(default=0, help_text="Gross captured, minor units")
    total_refunds = models.BigIntegerField(default=0, help_text="Refunded, minor units (positive)")
    total_disputed = models.BigIntegerField(default=0, help_text="Withdrawn by disputes less those won back")
    total_fees = models.BigIntegerField(default=0)
    net_amount = models.BigIntegerField(default=0, help_text="Sum of the day's cash balance transactions")
    success_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    chargeback_count = models.PositiveIntegerField(default=0)
    fraud_count = models.PositiveIntegerField(default=0, help_text="Payments blocked by fraud scoring or review")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "payment analytics"
        constraints = [
            models.UniqueConstraint(fields=["merchant", "date", "currency"], name="payment_analytics_one_per_day")
        ]
        indexes = [models.Index(fields=["merchant", "date"], name="payment_analytics_merchant_day")]

    def __str__(self):
        return f"{self.merchant_id} {self.date} {self.currency}"


class PaymentMethodAnalytics(models.Model):
    """The same day split by how the shopper paid (seed 002 PAYMENT_METHOD_ANALYTICS)."""

    analytics = models.ForeignKey(PaymentAnalytics, on_delete=models.CASCADE, related_name="methods")
    payment_method_type = models.CharField(max_length=20)
    transaction_count = models.PositiveIntegerField(default=0)
    total_amount = models.BigIntegerField(default=0)
    success_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)

    class Meta:
        verbose_name_plural = "payment method analytics"
        constraints = [
            models.UniqueConstraint(fields=["analytics", "payment_method_type"], name="method_analytics_one_per_type")
        ]

    def __str__(self):
        return f"{self.analytics} {self.payment_method_type}"


def _export_id():
    return new_public_id("exp")


class Export(ConcurrentTransitionMixin, models.Model):
    """A file of a merchant's records over a date range, built by a Celery task."""

    class Type(models.TextChoices):
        PAYMENTS = "payments"
        EVENTS = "events"
        FAILED_SESSIONS = "failed_sessions"
        BALANCE_TRANSACTIONS = "balance_transactions"

    class Format(models.TextChoices):
        CSV = "csv"
        JSONL = "jsonl"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    public_id = models.CharField(max_length=40, unique=True, default=_export_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="exports")
    type = models.CharField(max_length=30, choices=Type.choices)
    format = models.CharField(max_length=10, choices=Format.choices)
    date_from = models.DateField()
    date_to = models.DateField()
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    file_name = models.CharField(max_length=300, blank=True, help_text="Its name in the storage backend")
    row_count = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-created_at"], name="export_merchant_recent")]

    def __str__(self):
        return self.public_id

    @transition(field=status, source=[Status.PENDING, Status.RUNNING], target=Status.RUNNING)
    def start(self, *, at):
        # RUNNING → RUNNING: a worker that died mid-file is replaced by a redelivery.
        self.started_at = at

    @transition(field=status, source=Status.RUNNING, target=Status.SUCCEEDED)
    def succeed(self, *, file_name, rows, size, at):
        self.file_name = file_name
        self.row_count = rows
        self.size_bytes = size
        self.completed_at = at

    @transition(field=status, source=[Status.PENDING, Status.RUNNING], target=Status.FAILED)
    def fail(self, *, error, at):
        self.error = error[:500]
        self.completed_at = at
