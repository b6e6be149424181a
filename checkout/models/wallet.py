"""What a session has applied from the shopper's wallet: gift cards and store credit.

Applying reserves and charges nothing: the amounts each covers are worked out from the
current balances whenever they are read, and taken only when the session is paid.
"""

from django.db import models
from django.db.models import Q


class SessionWalletItem(models.Model):
    class Kind(models.TextChoices):
        GIFT_CARD = "gift_card"
        STORE_CREDIT = "store_credit"

    session = models.ForeignKey("checkout.CheckoutSession", on_delete=models.CASCADE, related_name="wallet_items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    gift_card = models.ForeignKey(
        "payments.GiftCard", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    store_credit = models.ForeignKey(
        "payments.StoreCreditAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Store credit: at most this much is used. Gift cards: as much as is still due.
    requested_amount = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "gift_card"], name="wallet_gift_card_once_per_session"),
            models.UniqueConstraint(
                fields=["session"], condition=Q(kind="store_credit"), name="wallet_store_credit_once_per_session"
            ),
        ]

    def __str__(self):
        return f"{self.kind} on {self.session_id}"
