"""The simulator's side of the wire: what a card processor would keep, in our database.

Only what a processor may show is kept: the vault maps a token to brand, last four,
expiry, fingerprint and the behaviour profile derived from the number at tokenization,
so the number itself is never stored.
"""

from django.db import models

from core.ids import new_public_id


def _card_token():
    return new_public_id("tok_sim")


def _charge_reference():
    return new_public_id("sim_pi")


def _delivery_id():
    return new_public_id("evt_sim")


class SimulatorCard(models.Model):
    token = models.CharField(max_length=60, unique=True, default=_card_token, editable=False)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    fingerprint = models.CharField(max_length=64)
    profile = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "payments"

    def __str__(self):
        return self.token


class SimulatorCharge(models.Model):
    """The processor's payment: one per incoming idempotency key, like Stripe's."""

    class Status(models.TextChoices):
        REQUIRES_ACTION = "requires_action"
        AUTHORIZED = "authorized"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELED = "canceled"

    reference = models.CharField(max_length=60, unique=True, default=_charge_reference, editable=False)
    idempotency_key = models.CharField(max_length=100, unique=True)
    card = models.ForeignKey(SimulatorCard, on_delete=models.PROTECT, related_name="charges")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    capture = models.BooleanField()
    status = models.CharField(max_length=20, choices=Status.choices)
    amount_captured = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    failure_code = models.CharField(max_length=50, blank=True)
    decline_code = models.CharField(max_length=50, blank=True)
    return_url = models.URLField(max_length=2000, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Keys of capture/void/refund calls already applied, so a repeated call changes nothing.
    operation_keys = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "payments"

    def __str__(self):
        return self.reference


class SimulatorDelivery(models.Model):
    """An outgoing signed message (webhook or 3-D Secure callback) and whether it arrived."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook"
        THREE_DS_CALLBACK = "3ds_callback"

    event_id = models.CharField(max_length=60, unique=True, default=_delivery_id, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField(help_text="The exact JSON that is signed and sent")
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "payments"

    def __str__(self):
        return f"{self.kind} {self.event_id}"
