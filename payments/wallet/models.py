"""Gift cards, store credit, their append-only ledgers, and split payments.

A balance changes only together with one ledger row (same transaction); in PostgreSQL a
deferred constraint trigger refuses any commit where an instrument's balance is not the
sum of its ledger, and an UPDATE of a ledger row is refused outright (migration 0004).
"""

from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id


def _gift_card_id():
    return new_public_id("gc")


def _store_credit_id():
    return new_public_id("scr")


def _split_id():
    return new_public_id("sp")


class EntryKind(models.TextChoices):
    ISSUE = "issue"
    DEBIT = "debit"
    CREDIT = "credit"  # a refund put back on the instrument, or a store-credit grant
    REVERSAL = "reversal"  # a debit given back because its split payment failed
    ADJUSTMENT = "adjustment"


class GiftCard(ConcurrentTransitionMixin, models.Model):
    """A merchant's gift card. The code itself is never stored: only its keyed hash
    (HMAC-SHA256 under ENCRYPTION_KEYS) to look it up, and its last four to show."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        DISABLED = "disabled"

    public_id = models.CharField(max_length=40, unique=True, default=_gift_card_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="gift_cards")
    code_hmac = models.CharField(max_length=64)
    last4 = models.CharField(max_length=4, db_index=True)
    currency = models.CharField(max_length=3)
    initial_balance = models.BigIntegerField(help_text="Minor units")
    current_balance = models.BigIntegerField(help_text="Minor units; always the sum of the ledger")
    expires_at = models.DateTimeField(null=True, blank=True)
    status = FSMField(default=Status.ACTIVE, choices=Status.choices, protected=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code_hmac"], name="gift_card_code_unique"),
            models.CheckConstraint(condition=Q(initial_balance__gt=0), name="gift_card_initial_positive"),
            models.CheckConstraint(condition=Q(current_balance__gte=0), name="gift_card_balance_not_negative"),
        ]
        indexes = [models.Index(fields=["merchant", "-created_at", "-id"], name="gift_card_merchant_recent")]

    def __str__(self):
        return f"{self.public_id} •••• {self.last4}"

    @transition(field=status, source=Status.ACTIVE, target=Status.DISABLED)
    def disable(self, *, reason=""):
        self.disabled_reason = reason


class StoreCreditAccount(models.Model):
    """One customer's store credit with one merchant, in one currency."""

    public_id = models.CharField(max_length=40, unique=True, default=_store_credit_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="store_credit")
    customer_id = models.CharField(max_length=200, help_text="The merchant's id for the customer")
    currency = models.CharField(max_length=3)
    balance = models.BigIntegerField(default=0, help_text="Minor units; always the sum of the ledger")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "customer_id", "currency"], name="store_credit_one_per_currency"
            ),
            models.CheckConstraint(condition=Q(balance__gte=0), name="store_credit_balance_not_negative"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.balance} {self.currency}"


class LedgerEntry(models.Model):
    """One signed movement; rows are never changed, corrections are new rows."""

    Kind = EntryKind

    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    amount = models.BigIntegerField(help_text="Signed minor units: debits are negative")
    balance_after = models.BigIntegerField()
    split_part = models.ForeignKey(
        "payments.SplitPart", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=100, blank=True, help_text="What caused it: a payment, a refund")
    note = models.CharField(max_length=500, blank=True)
    actor = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]


class GiftCardTransaction(LedgerEntry):
    gift_card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="ledger")

    class Meta(LedgerEntry.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="gift_card_entry_balance_not_negative"),
            models.CheckConstraint(condition=~Q(amount=0), name="gift_card_entry_not_zero"),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} on {self.gift_card_id}"


class StoreCreditTransaction(LedgerEntry):
    account = models.ForeignKey(StoreCreditAccount, on_delete=models.PROTECT, related_name="ledger")

    class Meta(LedgerEntry.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="store_credit_entry_balance_not_negative"),
            models.CheckConstraint(condition=~Q(amount=0), name="store_credit_entry_not_zero"),
        ]

    def __str__(self):
        return f"{self.kind} {self.amount} on {self.account_id}"


class SplitPayment(ConcurrentTransitionMixin, models.Model):
    """One amount paid by several parts (gift cards, store credit, cards), all or nothing.

    `payment` is the intent whose confirm runs the split; it is also the last card part,
    so it is charged only once every other part has succeeded. A split with no card
    (balances cover everything) has no payment.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    public_id = models.CharField(max_length=40, unique=True, default=_split_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="split_payments")
    payment = models.ForeignKey(
        "payments.PaymentTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="splits"
    )
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    state = FSMField(default=State.PENDING, choices=State.choices, protected=True, db_index=True)
    failed_part = models.PositiveSmallIntegerField(null=True, blank=True)
    failure_code = models.CharField(max_length=60, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="split_amount_positive"),
            # One split being paid per intent at a time: a failed one stays as history.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(state__in=["pending", "processing", "completed"]),
                name="split_one_open_per_payment",
            ),
        ]

    def __str__(self):
        return self.public_id

    @transition(field=state, source=State.PENDING, target=State.PROCESSING)
    def start(self, *, at):
        self.started_at = at

    @transition(field=state, source=State.PROCESSING, target=State.COMPLETED)
    def complete(self, *, at):
        self.completed_at = at

    @transition(field=state, source=[State.PENDING, State.PROCESSING], target=State.FAILED)
    def fail(self, *, part, code):
        self.failed_part = part
        self.failure_code = code


class SplitPart(models.Model):
    class Kind(models.TextChoices):
        GIFT_CARD = "gift_card"
        STORE_CREDIT = "store_credit"
        CARD = "card"

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        REVERSED = "reversed"  # taken, then given back because another part failed

    split = models.ForeignKey(SplitPayment, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField()
    gift_card = models.ForeignKey(GiftCard, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    store_credit = models.ForeignKey(
        StoreCreditAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(
        "payments.PaymentTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="split_parts"
    )
    payment_method = models.ForeignKey(
        "payments.PaymentMethod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(max_length=60, blank=True)
    amount_refunded = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["split", "position"], name="split_part_position_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="split_part_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=models.F("amount")),
                name="split_part_refund_le_amount",
            ),
        ]

    def __str__(self):
        return f"{self.split_id}#{self.position} {self.kind} {self.amount}"
