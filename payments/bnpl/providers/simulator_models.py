"""The simulated BNPL provider's own table: what a provider would keep, in our database."""

from django.db import models

from core.ids import new_public_id


def _reference():
    return new_public_id("sim_bnpl")


class SimulatorBNPLCheckout(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        DECLINED = "declined"
        COMPLETED = "completed"
        CANCELED = "canceled"

    reference = models.CharField(max_length=60, unique=True, default=_reference, editable=False)
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    decline_reason = models.CharField(max_length=50, blank=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    plan_code = models.CharField(max_length=40)
    plan_name = models.CharField(max_length=80)
    installment_count = models.PositiveSmallIntegerField()
    interval_unit = models.CharField(max_length=10)
    interval_count = models.PositiveSmallIntegerField()
    email = models.EmailField(blank=True)
    return_url = models.URLField(max_length=2000, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The vaulted card the shopper gave on the provider's page (a token, never the number).
    card_token = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "bnpl"
        verbose_name = "simulator BNPL checkout"

    def __str__(self):
        return self.reference
