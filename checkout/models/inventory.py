"""Stock holds: the merchant's stock ledger and the reservations sessions take against it.

Availability is derived, never stored: on_hand minus the ACTIVE reservations whose
`expires_at` is still ahead. A lapsed hold therefore stops counting the moment its time
passes; the tidy job only flips its status for the record.
"""

from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id


def _reservation_id():
    return new_public_id("res")


class StockItem(models.Model):
    """What the merchant has on hand of one SKU. A SKU without a row is not tracked."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="stock_items")
    sku = models.CharField(max_length=100)
    # May go below zero only when a hold granted earlier is committed after the merchant
    # counted less stock than was already promised: the shortfall stays visible.
    on_hand = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "sku"], name="stockitem_merchant_sku_unique")]

    def __str__(self):
        return f"{self.sku}: {self.on_hand}"


class StockMovement(models.Model):
    """Append-only ledger of every change to on_hand, written with the change."""

    class Reason(models.TextChoices):
        SET = "set"
        ADJUST = "adjust"
        COMMIT = "commit"

    stock_item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="movements")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    delta = models.IntegerField()
    on_hand_after = models.IntegerField()
    reference = models.CharField(max_length=40, blank=True, help_text="The reservation a commit came from")
    actor = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.reason} {self.delta:+d} → {self.on_hand_after}"


class ReservationStatus(models.TextChoices):
    ACTIVE = "active"
    RELEASED = "released"
    COMMITTED = "committed"
    EXPIRED = "expired"


class AllocationStrategy(models.TextChoices):
    # All lines or nothing (409 inventory_shortfall): the default.
    FIFO = "fifo"
    # What is available of each line, the shortfall reported per line.
    BEST_FIT = "best_fit"
    # Named stock lots per line; the ledger tracks no lots, so it is refused.
    EXPLICIT_LOTS = "explicit_lots"


class Reservation(ConcurrentTransitionMixin, models.Model):
    """A time-limited hold on stock for one session's cart: every line in full (fifo), or
    what was available of each line (best_fit)."""

    Status = ReservationStatus
    AllocationStrategy = AllocationStrategy

    public_id = models.CharField(max_length=40, unique=True, default=_reservation_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="reservations")
    session = models.ForeignKey("checkout.CheckoutSession", on_delete=models.CASCADE, related_name="reservations")
    # The provider that granted the hold answers for it to the end (commit, availability),
    # even if the merchant switches providers meanwhile.
    provider = models.CharField(max_length=40)
    status = FSMField(default=Status.ACTIVE, choices=Status.choices, protected=True)
    allocation_strategy = models.CharField(
        max_length=20, choices=AllocationStrategy.choices, default=AllocationStrategy.FIFO
    )
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One live hold per session: a retried reserve cannot hold the cart twice.
            models.UniqueConstraint(
                fields=["session"], condition=Q(status="active"), name="reservation_one_active_per_session"
            ),
        ]
        indexes = [
            # Availability sums a merchant's active holds; the tidy job scans lapsed ones.
            models.Index(
                fields=["merchant", "expires_at"], condition=Q(status="active"), name="reservation_active_merchant"
            ),
            models.Index(fields=["expires_at"], condition=Q(status="active"), name="reservation_active_expiry"),
        ]

    def __str__(self):
        return self.public_id

    def is_lapsed(self, now) -> bool:
        """True once the hold no longer counts against stock, whether or not the tidy job
        has flipped its status yet."""
        return self.status == ReservationStatus.EXPIRED or (
            self.status == ReservationStatus.ACTIVE and self.expires_at <= now
        )

    def effective_status(self, now) -> str:
        if self.status == ReservationStatus.ACTIVE and self.expires_at <= now:
            return ReservationStatus.EXPIRED
        return self.status

    # --- transitions: field changes only ---------------------------------------------
    @transition(field=status, source=Status.ACTIVE, target=Status.RELEASED)
    def release(self):
        pass

    # A lapsed hold may still be committed if the stock is there (the service re-checks),
    # so a payment that finished late is not refused for a hold nobody else took.
    @transition(field=status, source=[Status.ACTIVE, Status.EXPIRED], target=Status.COMMITTED)
    def commit(self):
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.EXPIRED)
    def expire(self):
        pass


class ReservationLine(models.Model):
    """Quantity held of one SKU; a cart listing a SKU twice is held as one line."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=100)
    # What is held; below `requested` only in a best_fit reservation that fell short.
    quantity = models.PositiveIntegerField()
    requested = models.PositiveIntegerField(null=True, help_text="What the cart asked for; null: as quantity")
    # False when the provider does not count this SKU (no ledger row, or provider "none").
    tracked = models.BooleanField(default=True)

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["reservation", "sku"], name="reservationline_sku_unique")]
        indexes = [models.Index(fields=["sku", "reservation"], name="reservationline_sku")]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"

    @property
    def requested_quantity(self) -> int:
        return self.quantity if self.requested is None else self.requested

    @property
    def shortfall(self) -> int:
        return max(self.requested_quantity - self.quantity, 0)
