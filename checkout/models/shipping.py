from django.db import models

from core.ids import new_public_id
from core.process_cache import InvalidatingQuerySet


def _rate_id():
    return new_public_id("shr")


def _pickup_id():
    return new_public_id("pul")


class ShippingRate(models.Model):
    """One row of a merchant's rate table: where it ships, for which band, at what price.

    A band is a subtotal range and/or a weight range; an empty bound is open-ended.
    """

    public_id = models.CharField(max_length=40, unique=True, default=_rate_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="shipping_rates")
    name = models.CharField(max_length=200)
    carrier = models.CharField(max_length=100)
    service_code = models.CharField(max_length=100)
    countries = models.JSONField(default=list, help_text="ISO 3166-1 alpha-2 codes; empty: everywhere")
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField(help_text="Minor units")
    min_subtotal = models.BigIntegerField(null=True, blank=True)
    max_subtotal = models.BigIntegerField(null=True, blank=True)
    min_weight_grams = models.PositiveIntegerField(null=True, blank=True)
    max_weight_grams = models.PositiveIntegerField(null=True, blank=True)
    min_delivery_days = models.PositiveSmallIntegerField(default=1)
    max_delivery_days = models.PositiveSmallIntegerField(default=5)
    tax_code = models.CharField(max_length=50, blank=True, default="shipping")
    is_active = models.BooleanField(default=True)

    objects = InvalidatingQuerySet.as_manager()

    class Meta:
        ordering = ["amount", "id"]

    def __str__(self):
        return f"{self.name} ({self.carrier} {self.service_code})"


class PickupLocation(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=_pickup_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="pickup_locations")
    name = models.CharField(max_length=200)
    line1 = models.CharField(max_length=300)
    city = models.CharField(max_length=200)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2)
    opening_hours = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    def __str__(self):
        return self.name
