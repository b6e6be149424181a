"""Payment transactions (the API's payment intents), their attempts, methods and event log.

Models are pure: transitions change fields only. payments/services saves them, writes the
append-only PaymentEvent row and the merchant's event in the same transaction.
"""

from django.db import models
from django.db.models import F, Q
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id


def _intent_id():
    return new_public_id("pi")


def _attempt_id():
    return new_public_id("pa")


def _method_id():
    return new_public_id("pm")


class State(models.TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    AUTHORIZED = "authorized"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


class CaptureMode(models.TextChoices):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class PaymentMethod(models.Model):
    """A tokenized card: the gateway's token and what may be shown, never the number or CVC."""

    public_id = models.CharField(max_length=40, unique=True, default=_method_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="payment_methods")
    gateway = models.CharField(max_length=20)
    token = models.CharField(max_length=100, help_text="The gateway's reference for the card")
    type = models.CharField(max_length=20, default="card")
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    fingerprint = models.CharField(max_length=64, db_index=True)
    # Kept on file for the merchant's later payments (attach-method's save_method). An
    # unsaved token pays for one payment intent only, so a token lifted from one checkout
    # cannot be replayed against another.
    saved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "token"], name="payment_method_token_unique")]

    def __str__(self):
        return f"{self.brand} •••• {self.last4}"


class PaymentTransaction(ConcurrentTransitionMixin, models.Model):
    """One payable amount and its way through the gateway (SPEC section 3)."""

    State = State
    CaptureMode = CaptureMode

    public_id = models.CharField(max_length=40, unique=True, default=_intent_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="payments")
    state = FSMField(default=State.PENDING, choices=State.choices, protected=True, db_index=True)
    amount = models.BigIntegerField(help_text="Minor units")
    currency = models.CharField(max_length=3)
    amount_capturable = models.BigIntegerField(default=0)
    amount_captured = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)
    capture_mode = models.CharField(max_length=20, choices=CaptureMode.choices, default=CaptureMode.AUTOMATIC)
    reference = models.CharField(max_length=100, blank=True, db_index=True, help_text="The payer's reference")
    return_url = models.URLField(max_length=2000, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The method types the intent accepts ("card", "buy_now_pay_later"); empty: card.
    method_types = models.JSONField(default=list, blank=True)
    gateway = models.CharField(max_length=20)
    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    next_action = models.JSONField(null=True, blank=True)
    last_error = models.JSONField(null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)

    # A capture or void claimed before its gateway call: the key is reused by any retry.
    pending_operation = models.CharField(max_length=20, blank=True)
    pending_operation_key = models.CharField(max_length=80, blank=True)
    pending_operation_amount = models.BigIntegerField(null=True, blank=True)
    pending_operation_at = models.DateTimeField(null=True, blank=True)
    # Expired or cancelled here but not yet released at the gateway (the janitor retries).
    release_pending = models.BooleanField(default=False)
    # The payable's owner could no longer take this payment (it succeeded after the
    # session closed): it is given back as soon as its attempt settles (the janitor).
    return_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    return_reason = models.CharField(max_length=500, blank=True)

    action_expires_at = models.DateTimeField(null=True, blank=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    authorization_expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="payment_merchant_recent"),
            models.Index(fields=["state", "action_expires_at"], name="payment_action_expiry"),
            models.Index(fields=["state", "authorization_expires_at"], name="payment_authorization_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(amount_captured__lte=F("amount")), name="payment_captured_le_amount"),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount_captured")), name="payment_refunded_le_captured"
            ),
        ]
        permissions = [
            ("capture_paymenttransaction", "Can capture payment transactions"),
            ("void_paymenttransaction", "Can void payment transactions"),
        ]

    def __str__(self):
        return self.public_id

    # --- transitions: field changes only ---------------------------------------------
    @transition(field=state, source=State.PENDING, target=State.PROCESSING)
    def process(self):
        self.last_error = None
        self.next_action = None

    @transition(field=state, source=State.PROCESSING, target=State.REQUIRES_ACTION)
    def require_action(self, *, next_action, expires_at):
        self.next_action = next_action
        self.action_expires_at = expires_at

    @transition(field=state, source=State.REQUIRES_ACTION, target=State.PROCESSING)
    def resume(self):
        # 3-D Secure is done; the gateway now decides.
        self.next_action = None
        self.action_expires_at = None

    @transition(field=state, source=State.PROCESSING, target=State.AUTHORIZED)
    def authorize(self, *, amount, at, expires_at):
        self.amount_capturable = amount
        self.authorized_at = at
        self.authorization_expires_at = expires_at

    @transition(field=state, source=State.PROCESSING, target=State.COMPLETED)
    def complete(self, *, amount, at):
        self.amount_captured = amount
        self.amount_capturable = 0
        self.completed_at = at

    @transition(field=state, source=State.AUTHORIZED, target=State.COMPLETED)
    def capture(self, *, amount, at):
        self.amount_captured = amount
        self.amount_capturable = 0
        self.completed_at = at

    @transition(field=state, source=[State.PROCESSING, State.REQUIRES_ACTION], target=State.FAILED)
    def fail(self, *, error):
        self.last_error = error
        self.next_action = None
        self.action_expires_at = None

    @transition(field=state, source=State.FAILED, target=State.PENDING)
    def retry(self):
        self.next_action = None

    @transition(field=state, source=State.PENDING, target=State.CANCELLED)
    def cancel(self, *, reason=""):
        self.closed_reason = reason

    @transition(field=state, source=State.AUTHORIZED, target=State.CANCELLED)
    def void(self, *, reason=""):
        self.amount_capturable = 0
        self.closed_reason = reason

    @transition(field=state, source=[State.PENDING, State.REQUIRES_ACTION, State.AUTHORIZED], target=State.EXPIRED)
    def expire(self, *, reason=""):
        self.amount_capturable = 0
        self.next_action = None
        self.closed_reason = reason

    @transition(field=state, source=State.COMPLETED, target=State.PARTIALLY_REFUNDED)
    def refund_partially(self, *, amount_refunded):
        self.amount_refunded = amount_refunded

    @transition(field=state, source=[State.COMPLETED, State.PARTIALLY_REFUNDED], target=State.REFUNDED)
    def refund_fully(self):
        self.amount_refunded = self.amount_captured

    @transition(field=state, source=[State.COMPLETED, State.PARTIALLY_REFUNDED], target=State.DISPUTED)
    def dispute(self):
        pass

    # A dispute ends where the payment's money stands: a win returns the payment to what it
    # was before (refunds made earlier still count), a loss takes only the chargeback, so a
    # dispute over part of the charge leaves the rest refundable.
    @transition(field=state, source=State.DISPUTED, target=RETURN_VALUE(State.COMPLETED, State.PARTIALLY_REFUNDED))
    def win_dispute(self):
        return State.PARTIALLY_REFUNDED if self.amount_refunded else State.COMPLETED

    @transition(field=state, source=State.DISPUTED, target=RETURN_VALUE(State.PARTIALLY_REFUNDED, State.REFUNDED))
    def lose_dispute(self, *, chargeback):
        self.amount_refunded = min(self.amount_captured, self.amount_refunded + chargeback)
        return State.REFUNDED if self.amount_refunded == self.amount_captured else State.PARTIALLY_REFUNDED


class PaymentAttempt(ConcurrentTransitionMixin, models.Model):
    """One confirm sent to the gateway, under one outgoing idempotency key.

    `pending` means claimed and not yet answered; `unknown` means the call ended without
    an answer (timeout, crash). Either may be repeated with the same key, never a new one.
    The status moves only through the transitions below (called by payments' services,
    under the payment's row lock), never by assignment or a bulk update.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        UNKNOWN = "unknown"
        PROCESSING = "processing"
        REQUIRES_ACTION = "requires_action"
        AUTHORIZED = "authorized"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELED = "canceled"

    OPEN = (Status.PENDING, Status.UNKNOWN, Status.PROCESSING, Status.REQUIRES_ACTION)

    public_id = models.CharField(max_length=40, unique=True, default=_attempt_id, editable=False)
    transaction = models.ForeignKey(PaymentTransaction, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="attempts")
    gateway = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80, unique=True)
    status = FSMField(max_length=20, choices=Status.choices, default=Status.PENDING, protected=True, db_index=True)
    gateway_reference = models.CharField(max_length=100, blank=True, db_index=True)
    failure_code = models.CharField(max_length=50, blank=True)
    decline_code = models.CharField(max_length=50, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    call_count = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "number"], name="attempt_number_unique"),
            # At most one attempt in flight per transaction: two confirms can never both call.
            models.UniqueConstraint(
                fields=["transaction"],
                condition=Q(status__in=["pending", "unknown", "processing", "requires_action"]),
                name="attempt_one_open_per_transaction",
            ),
        ]

    def __str__(self):
        return f"{self.transaction_id}#{self.number} {self.status}"

    # --- transitions: field changes only ---------------------------------------------
    @transition(field=status, source=[Status.PENDING, Status.UNKNOWN], target=Status.PENDING)
    def reclaim(self, *, at):
        # The same call is repeated under the same key: the gateway answers what it did.
        self.claimed_at = at

    @transition(field=status, source=Status.PENDING, target=Status.UNKNOWN)
    def lose_answer(self):
        pass

    @transition(field=status, source=[Status.PENDING, Status.UNKNOWN], target=Status.PROCESSING)
    def mark_processing(self):
        pass

    @transition(field=status, source=[Status.PENDING, Status.UNKNOWN, Status.PROCESSING], target=Status.REQUIRES_ACTION)
    def require_action(self):
        pass

    @transition(field=status, source=OPEN, target=Status.SUCCEEDED)
    def succeed(self, *, at):
        self.settled_at = at

    @transition(field=status, source=OPEN, target=Status.AUTHORIZED)
    def authorize(self, *, at):
        self.settled_at = at

    @transition(field=status, source=OPEN, target=Status.FAILED)
    def fail(self, *, code, decline_code="", message="", at):
        self._settle_failure(code, decline_code, message, at)

    @transition(field=status, source=OPEN, target=Status.CANCELED)
    def cancel(self, *, code="", decline_code="", message="", at):
        self._settle_failure(code, decline_code, message, at)

    def _settle_failure(self, code, decline_code, message, at):
        if code:
            self.failure_code = code
            self.decline_code = decline_code or ""
            self.failure_message = (message or "")[:500]
        self.settled_at = at


class PaymentEvent(models.Model):
    """Append-only log of a transaction: every transition and every gateway call."""

    transaction = models.ForeignKey(PaymentTransaction, on_delete=models.CASCADE, related_name="events")
    attempt = models.ForeignKey(PaymentAttempt, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    actor = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} on {self.transaction_id}"


class GatewayEvent(models.Model):
    """A verified inbound gateway event, stored once per (gateway, event id)."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        FAILED = "failed"

    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="gateway_event_unique")]

    def __str__(self):
        return f"{self.gateway}:{self.event_id} {self.type}"


# The simulator's own records (it plays an outside processor) live in their module.
from payments.simulator.models import SimulatorCard, SimulatorCharge, SimulatorDelivery  # noqa: E402, F401
from payments.wallet.models import (  # noqa: E402, F401
    GiftCard,
    GiftCardTransaction,
    SplitPart,
    SplitPayment,
    StoreCreditAccount,
    StoreCreditTransaction,
)
