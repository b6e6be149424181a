"""Split fulfilment: where stock is (warehouses and stores), the shipment plans offered to a
session, and which location each held unit comes from.

A SKU stocked at locations has as its ledger total (StockItem.on_hand) the sum of its
locations, written together by checkout.services.fulfillment; availability at a location
is its on_hand less the active, unlapsed allocations of holds there.
"""

from django.db import models
from django.db.models import Q
from django_fsm import FSMField, transition

from core.ids import new_public_id


def _location_id():
    return new_public_id("loc")


def _plan_id():
    return new_public_id("spl")


class StockLocation(models.Model):
    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse"
        STORE = "store"

    public_id = models.CharField(max_length=40, unique=True, default=_location_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="stock_locations")
    code = models.CharField(max_length=50, help_text="The merchant's own name for it (WH-LONDON)")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WAREHOUSE)
    country = models.CharField(max_length=2)
    # Lower ships first when several locations could cover the same cart equally well.
    priority = models.PositiveSmallIntegerField(default=100)
    # Days before a parcel leaves this location, added to the carrier's delivery estimate.
    handling_days = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="stocklocation_merchant_code")]

    def __str__(self):
        return f"{self.code} ({self.name})"


class LocationStock(models.Model):
    location = models.ForeignKey(StockLocation, on_delete=models.CASCADE, related_name="stock")
    sku = models.CharField(max_length=100)
    on_hand = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["location", "sku"], name="locationstock_location_sku")]
        indexes = [models.Index(fields=["sku", "location"], name="locationstock_sku")]

    def __str__(self):
        return f"{self.sku} @ {self.location_id}: {self.on_hand}"


class ShipmentPlanStatus(models.TextChoices):
    PROPOSED = "proposed"
    SELECTED = "selected"
    SUPERSEDED = "superseded"


class ShipmentPlan(models.Model):
    """Shipment groups by location for a session's cart as it was (`fingerprint`), each
    with its shipping options and chosen option; selected, it prices the session's shipping."""

    Status = ShipmentPlanStatus

    public_id = models.CharField(max_length=40, unique=True, default=_plan_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="shipment_plans")
    session = models.ForeignKey("checkout.CheckoutSession", on_delete=models.CASCADE, related_name="shipment_plans")
    status = FSMField(default=Status.PROPOSED, choices=Status.choices, protected=True)
    # What the plan was made for (lines, quantities, country, currency): a plan whose
    # fingerprint no longer matches the session is stale and cannot be selected or used.
    fingerprint = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    groups = models.JSONField(default=list)
    shipping_total = models.BigIntegerField(default=0, help_text="Minor units: the groups' chosen options")
    created_at = models.DateTimeField(auto_now_add=True)
    selected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session"], condition=Q(status="selected"), name="shipmentplan_one_selected"
            )
        ]

    def __str__(self):
        return self.public_id

    @transition(field=status, source=[Status.PROPOSED, Status.SELECTED], target=Status.SELECTED)
    def select(self, *, groups, shipping_total, at):
        self.groups = groups
        self.shipping_total = shipping_total
        self.selected_at = at

    @transition(field=status, source=[Status.PROPOSED, Status.SELECTED], target=Status.SUPERSEDED)
    def supersede(self):
        pass


class ReservationAllocation(models.Model):
    """Units of one SKU a hold takes from one location (the selected plan's group)."""

    reservation = models.ForeignKey("checkout.Reservation", on_delete=models.CASCADE, related_name="allocations")
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="allocations")
    sku = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["location_id", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "location", "sku"], name="allocation_once_per_location")
        ]
        indexes = [models.Index(fields=["location", "sku"], name="allocation_location_sku")]

    def __str__(self):
        return f"{self.quantity} × {self.sku} @ {self.location_id}"
