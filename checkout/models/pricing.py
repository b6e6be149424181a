from django.db import models
from django.db.models import Q

from core.ids import new_public_id
from core.process_cache import InvalidatingQuerySet


def _calculation_id():
    return new_public_id("calc")


class Promotion(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent"
        FIXED = "fixed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="promotions")
    code = models.CharField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    percent_off_bps = models.PositiveIntegerField(null=True, blank=True, help_text="Basis points: 1500 = 15%")
    amount_off = models.BigIntegerField(null=True, blank=True, help_text="Minor units, in `currency`")
    currency = models.CharField(max_length=3, blank=True)
    min_subtotal = models.BigIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="promotion_code_unique_per_merchant"),
            models.CheckConstraint(
                condition=(Q(kind="percent", percent_off_bps__isnull=False, percent_off_bps__lte=10000))
                | Q(kind="fixed", amount_off__isnull=False, amount_off__gte=0),
                name="promotion_value_matches_kind",
            ),
        ]

    def __str__(self):
        return self.code


class TaxRate(models.Model):
    """Per-country rate for a tax code; an empty tax_code is the country's standard rate."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="tax_rates")
    country = models.CharField(max_length=2)
    tax_code = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=100, default="VAT")
    rate_bps = models.PositiveIntegerField(help_text="Basis points: 2000 = 20%")

    objects = InvalidatingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "country", "tax_code"], name="tax_rate_unique"),
        ]

    def __str__(self):
        return f"{self.country} {self.tax_code or 'standard'} {self.rate_bps / 100}%"


class Calculation(models.Model):
    """An immutable snapshot of the session's totals at one pricing_version.

    Written once by the calculate service and never updated: a payment names the exact
    calculation it pays, and a changed cart means a new calculation.
    """

    public_id = models.CharField(max_length=40, unique=True, default=_calculation_id, editable=False)
    session = models.ForeignKey("checkout.CheckoutSession", on_delete=models.CASCADE, related_name="calculations")
    pricing_version = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    prices_include_tax = models.BooleanField()
    sub_total = models.BigIntegerField()
    discount_total = models.BigIntegerField()
    tax_total = models.BigIntegerField()
    shipping_total = models.BigIntegerField()
    fee_total = models.BigIntegerField(default=0)
    grand_total = models.BigIntegerField()
    lines = models.JSONField(default=list)
    tax_lines = models.JSONField(default=list)
    adjustments = models.JSONField(default=list)
    # The shipping as priced (method, rate or pickup id, name, amount, tax), frozen with
    # the totals: the rate table may change after the shopper saw this price.
    shipping = models.JSONField(null=True, blank=True)
    tax_country = models.CharField(max_length=2, blank=True, default="")
    calculated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(grand_total__gte=0), name="calculation_grand_total_non_negative"),
        ]

    def __str__(self):
        return self.public_id
