"""Refund requests, disputes, and their append-only audit logs.

Models are pure: transitions change fields only. refunds/services saves them and writes
the RefundEvent / DisputeEvent row and the merchant's event in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id


def _refund_id():
    return new_public_id("re")


def _dispute_id():
    return new_public_id("dp")


def _by_transfer(refund) -> bool:
    return bool(refund.transfer_iban)


def _not_by_transfer(refund) -> bool:
    return not refund.transfer_iban


class RefundRequest(ConcurrentTransitionMixin, models.Model):
    """Money asked back on a captured payment (SPEC section 3: RefundRequest)."""

    class State(models.TextChoices):
        PENDING = "pending"
        UNDER_REVIEW = "under_review"
        NEEDS_INFO = "needs_info"
        APPROVED = "approved"
        REJECTED = "rejected"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    class Reason(models.TextChoices):
        DUPLICATE = "duplicate"
        FRAUDULENT = "fraudulent"
        REQUESTED_BY_CUSTOMER = "requested_by_customer"
        OTHER = "other"

    class Destination(models.TextChoices):
        ORIGINAL = "original"  # back where the money came from: the card, gift cards, store credit
        STORE_CREDIT = "store_credit"  # all of it to the customer's store credit, nothing to the card

    # What still draws on the payment's captured amount besides what it already refunded.
    # A FAILED refund counts only while its outcome is unknown (the gateway may have paid).
    RESERVING = (State.PENDING, State.UNDER_REVIEW, State.NEEDS_INFO, State.APPROVED, State.PROCESSING)

    public_id = models.CharField(max_length=40, unique=True, default=_refund_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="refund_requests")
    payment = models.ForeignKey("payments.PaymentTransaction", on_delete=models.PROTECT, related_name="+")
    state = FSMField(default=State.PENDING, choices=State.choices, protected=True, db_index=True)
    amount = models.BigIntegerField(help_text="Minor units of the payment's currency")
    # The part of `amount` drawn on the intent's own card (all of it unless the intent was
    # paid as a split, whose gift card and store credit parts give back the rest).
    card_amount = models.BigIntegerField(help_text="Minor units drawn on the intent's own card")
    allocations = models.JSONField(
        default=list, blank=True, help_text="[{part, type, amount}]: the split payment's parts drawn on"
    )
    refund_to = models.CharField(max_length=20, choices=Destination.choices, default=Destination.ORIGINAL)
    store_credit_customer_id = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    note = models.TextField(blank=True, max_length=2000)
    lines = models.JSONField(default=list, blank=True, help_text="[{line_id, quantity}] as the requester named them")
    receipt_email = models.EmailField(blank=True, help_text="Where the shopper's confirmation goes")
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    # The review round (the refund's version) whose reviewers were emailed, and when:
    # claimed by compare-and-set before sending, so two runs never both send.
    reviewers_emailed_version = models.PositiveIntegerField(null=True, blank=True)
    reviewers_emailed_at = models.DateTimeField(null=True, blank=True)

    # Who asked: the API key's prefix or the staff user (four-eyes: never its approver).
    requested_by = models.CharField(max_length=100)
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    auto_approved = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    info_request = models.TextField(blank=True, help_text="The reviewer's last question (NEEDS_INFO)")
    info_response = models.TextField(blank=True, help_text="The requester's last answer")
    rejection_reason = models.TextField(blank=True)

    # The gateway call: the key is stored before the call and reused by every repeat of
    # it; a refused call spends it (gateways replay a refusal), so a retry takes the next.
    gateway_key_seq = models.PositiveSmallIntegerField(default=0)
    gateway_idempotency_key = models.CharField(max_length=80, blank=True)
    call_started_at = models.DateTimeField(null=True, blank=True, help_text="Set while a gateway call is in flight")
    call_count = models.PositiveSmallIntegerField(default=0)
    gateway_reference = models.CharField(max_length=100, blank=True)
    last_error = models.JSONField(null=True, blank=True)
    outcome_unknown = models.BooleanField(
        default=False, help_text="FAILED without an answer: the gateway may have paid"
    )

    # A payment made by bank transfer has no card to refund: the merchant sends the money
    # back by an outgoing transfer to the account it came from. The refund waits in
    # PROCESSING until finance marks that transfer sent (mark_transfer_sent).
    class AccountSource(models.TextChoices):
        STATEMENT = "statement"  # the counterparty of the statement credit that paid it
        REQUEST = "request"  # named by the requester: the statement did not say

    transfer_iban = models.CharField(max_length=34, blank=True, help_text="Where the refund's transfer goes")
    transfer_account_holder = models.CharField(max_length=70, blank=True)
    transfer_account_source = models.CharField(max_length=10, choices=AccountSource.choices, blank=True)
    transfer_sent_at = models.DateTimeField(null=True, blank=True)
    transfer_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transfer_bank_reference = models.CharField(
        max_length=100, blank=True, help_text="The bank's reference of the outgoing transfer"
    )

    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="refund_merchant_recent"),
            models.Index(fields=["payment", "state"], name="refund_payment_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(card_amount__gte=0, card_amount__lte=models.F("amount")),
                name="refund_card_amount_in_amount",
            ),
            models.UniqueConstraint(
                fields=["gateway_idempotency_key"],
                condition=~Q(gateway_idempotency_key=""),
                name="refund_gateway_key_unique",
            ),
            # A transfer goes to a named account holder, and only for money going back
            # where it came from (store credit needs no transfer).
            models.CheckConstraint(
                condition=Q(transfer_iban="") | (~Q(transfer_account_holder="") & Q(refund_to="original")),
                name="refund_transfer_account_complete",
            ),
        ]
        permissions = [
            ("approve_refund", "Can approve, reject, query and retry refund requests"),
            ("send_refund_transfer", "Can mark refund bank transfers as sent"),
        ]

    def __str__(self):
        return self.public_id

    @property
    def by_transfer(self) -> bool:
        return _by_transfer(self)

    @property
    def transfer_to_send(self) -> bool:
        """Approved, and its transfer not yet marked sent."""
        return _by_transfer(self) and self.state == self.State.PROCESSING

    # --- transitions: field changes only ---------------------------------------------
    @transition(field=state, source=State.PENDING, target=State.APPROVED)
    def approve_automatically(self):
        self.auto_approved = True

    @transition(field=state, source=State.PENDING, target=State.UNDER_REVIEW)
    def submit_for_review(self):
        pass

    @transition(field=state, source=State.UNDER_REVIEW, target=State.APPROVED)
    def approve(self, *, reviewer, at):
        self.reviewed_by = reviewer
        self.reviewed_at = at

    @transition(field=state, source=State.UNDER_REVIEW, target=State.REJECTED)
    def reject(self, *, reviewer, at, reason):
        self.reviewed_by = reviewer
        self.reviewed_at = at
        self.rejection_reason = reason

    @transition(field=state, source=State.UNDER_REVIEW, target=State.NEEDS_INFO)
    def request_info(self, *, reviewer, at, message):
        self.reviewed_by = reviewer
        self.reviewed_at = at
        self.info_request = message

    @transition(field=state, source=State.NEEDS_INFO, target=State.UNDER_REVIEW)
    def provide_info(self, *, information):
        self.info_response = information

    @transition(field=state, source=State.APPROVED, target=State.PROCESSING)
    def start_processing(self):
        self._take_next_key()

    @transition(field=state, source=State.PROCESSING, target=State.COMPLETED, conditions=[_not_by_transfer])
    def complete(self, *, gateway_reference, at):
        self.gateway_reference = gateway_reference
        self.call_started_at = None
        self.last_error = None
        self.completed_at = at

    @transition(field=state, source=State.PROCESSING, target=State.COMPLETED, conditions=[_by_transfer])
    def mark_transfer_sent(self, *, sent_by, at, bank_reference):
        self.transfer_sent_by = sent_by
        self.transfer_sent_at = at
        self.transfer_bank_reference = bank_reference
        self.call_started_at = None
        self.last_error = None
        self.completed_at = at

    @transition(field=state, source=State.PROCESSING, target=State.FAILED)
    def fail(self, *, error, outcome_unknown):
        self.call_started_at = None
        self.last_error = error
        self.outcome_unknown = outcome_unknown

    @transition(field=state, source=State.FAILED, target=State.PROCESSING)
    def retry(self):
        if not self.outcome_unknown:
            self._take_next_key()
        self.outcome_unknown = False
        self.last_error = None

    def _take_next_key(self):
        self.gateway_key_seq += 1
        self.gateway_idempotency_key = f"{self.public_id}:refund:{self.gateway_key_seq}"
        self.call_started_at = None


class RefundEvent(models.Model):
    """Append-only audit of a refund request: every transition, action and gateway call."""

    refund = models.ForeignKey(RefundRequest, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    actor = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} on {self.refund_id}"


class Dispute(ConcurrentTransitionMixin, models.Model):
    """A chargeback opened by the cardholder's bank, as the gateway reported it."""

    class Status(models.TextChoices):
        OPEN = "open"
        WON = "won"
        LOST = "lost"

    public_id = models.CharField(max_length=40, unique=True, default=_dispute_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="disputes")
    payment = models.ForeignKey("payments.PaymentTransaction", on_delete=models.PROTECT, related_name="+")
    gateway = models.CharField(max_length=20)
    gateway_dispute_id = models.CharField(max_length=100)
    status = FSMField(default=Status.OPEN, choices=Status.choices, protected=True, db_index=True)
    gateway_status = models.CharField(max_length=40, blank=True, help_text="The gateway's own word for where it is")
    amount = models.BigIntegerField(help_text="Minor units")
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=50)
    evidence_due_by = models.DateTimeField(null=True, blank=True, db_index=True)
    chargeback_amount = models.BigIntegerField(default=0, help_text="Taken back from the merchant when lost")
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gateway", "gateway_dispute_id"], name="dispute_gateway_id_unique")
        ]

    def __str__(self):
        return self.public_id

    @transition(field=status, source=Status.OPEN, target=Status.WON)
    def win(self, *, at):
        self.closed_at = at

    @transition(field=status, source=Status.OPEN, target=Status.LOST)
    def lose(self, *, at, chargeback_amount):
        self.closed_at = at
        self.chargeback_amount = chargeback_amount


class DisputeEvent(models.Model):
    """Append-only log of a dispute: each gateway event about it and each transition."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    actor = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} on {self.dispute_id}"
