"""What a finalized session hands off: the order (with its receipt), and the record of an
asynchronous finalization.

An order is a snapshot: lines, totals, customer and payment as they were when the money
was secured, so later edits to rates, promotions or the merchant's settings never
rewrite what the shopper bought.
"""

from django.db import models
from django.db.models import Q
from django_fsm import FSMField, transition

from core.ids import new_public_id


def _order_id():
    return new_public_id("ord")


def _receipt_id():
    return new_public_id("rcpt")


def _job_id():
    return new_public_id("fin")


class Order(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed"

    class PaymentStatus(models.TextChoices):
        CAPTURED = "captured"
        AUTHORIZED = "authorized"
        # Paid by other means (bank transfer, phone), recorded by a manual override.
        SETTLED_OUTSIDE = "settled_outside"

    public_id = models.CharField(max_length=40, unique=True, default=_order_id, editable=False)
    # The receipt page is reached by this id alone (no login): 143 random bits make it a
    # bearer secret, so it is never the order id and never appears in events.
    receipt_id = models.CharField(max_length=40, unique=True, default=_receipt_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="orders")
    # One order per session, in the schema: the last word against a double finalization.
    session = models.OneToOneField("checkout.CheckoutSession", on_delete=models.PROTECT, related_name="order")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONFIRMED)
    amount = models.BigIntegerField(help_text="Grand total, minor units")
    currency = models.CharField(max_length=3)
    totals = models.JSONField(default=dict, help_text="sub/discount/tax/shipping/fee/grand totals")
    lines = models.JSONField(default=list)
    adjustments = models.JSONField(default=list, blank=True)
    shipping = models.JSONField(null=True, blank=True)
    # One entry per parcel when the session chose a split shipment plan: its location,
    # lines, chosen option and estimate. Empty: one shipment (or nothing ships).
    shipments = models.JSONField(default=list, blank=True)
    customer = models.JSONField(default=dict, blank=True)
    shipping_address = models.JSONField(null=True, blank=True)
    billing_address = models.JSONField(null=True, blank=True)
    calculation_id = models.CharField(max_length=40)
    reservation_id = models.CharField(max_length=40, blank=True)
    payment_intent_id = models.CharField(max_length=40)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices)
    amount_captured = models.BigIntegerField(default=0)
    payment_method = models.JSONField(null=True, blank=True, help_text="Brand and last four only")
    # Everything that paid, with what each took: gift cards and store credit of a split
    # payment, then its cards. Empty on orders made before it was kept (read the method).
    payments = models.JSONField(default=list, blank=True)
    locale = models.CharField(max_length=20, default="en_US")
    # finalize's `order_service_hint`, kept as the merchant sent it for its order system.
    order_service_hint = models.JSONField(default=dict, blank=True)
    # Claimed by compare-and-set before the confirmation email goes out: sent once.
    confirmation_emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-created_at", "-id"], name="order_merchant_recent")]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_non_negative")]
        permissions = [("resend_receipt", "Can send an order's confirmation email again")]

    def __str__(self):
        return self.public_id


class FinalizationJob(models.Model):
    """One asynchronous finalize request; the task claims it queued → running by
    compare-and-set, so a redelivered task never runs it twice at once."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    public_id = models.CharField(max_length=40, unique=True, default=_job_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="finalization_jobs")
    session = models.ForeignKey("checkout.CheckoutSession", on_delete=models.CASCADE, related_name="finalization_jobs")
    status = FSMField(default=Status.QUEUED, choices=Status.choices, protected=True, db_index=True)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.JSONField(null=True, blank=True, help_text="{code, message} of the failure")
    actor = models.CharField(max_length=100)
    order_service_hint = models.JSONField(default=dict, blank=True, help_text="Passed on to the order it makes")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A repeated async request joins the job already under way instead of queueing another.
            models.UniqueConstraint(
                fields=["session"], condition=Q(status__in=["queued", "running"]), name="finalization_one_active"
            ),
        ]

    def __str__(self):
        return self.public_id

    # --- transitions: field changes only ----------------------------------------------
    @transition(field=status, source=[Status.QUEUED, Status.RUNNING], target=Status.RUNNING)
    def start(self, *, at):
        # From RUNNING only when the worker that held it is presumed dead (see the claim).
        self.started_at = at
        self.attempts += 1

    @transition(field=status, source=Status.RUNNING, target=Status.SUCCEEDED)
    def succeed(self, *, order, at):
        self.order = order
        self.error = None
        self.finished_at = at

    @transition(field=status, source=[Status.QUEUED, Status.RUNNING], target=Status.FAILED)
    def fail(self, *, error, at):
        self.error = error
        self.finished_at = at

    @transition(field=status, source=Status.RUNNING, target=Status.QUEUED)
    def requeue(self, *, error):
        # A transient failure: the task retries with backoff and claims it again.
        self.error = error
