from django.db import models
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id


def _session_id():
    return new_public_id("cs")


class Status(models.TextChoices):
    CREATED = "created"
    COLLECTING = "collecting"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    DECLINED = "declined"
    RESERVED = "reserved"
    PAYMENT_PROCESSING = "payment_processing"
    # Its money is being given back before it closes: nothing may pay it any more.
    CLOSING = "closing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


# Where the shopper can still change the cart's details (addresses, shipping, codes).
EDITABLE = [Status.CREATED, Status.COLLECTING]
TERMINAL = [Status.COMPLETED, Status.CANCELED, Status.EXPIRED]
CANCELABLE = [
    Status.CREATED,
    Status.COLLECTING,
    Status.AWAITING_APPROVAL,
    Status.APPROVED,
    Status.DECLINED,
    Status.RESERVED,
    Status.FAILED,
]
EXPIRABLE = [
    Status.CREATED,
    Status.COLLECTING,
    Status.AWAITING_APPROVAL,
    Status.APPROVED,
    Status.DECLINED,
    Status.RESERVED,
    Status.PAYMENT_PROCESSING,
]
# Where the close service may claim a session (give its money back, then close it).
# FAILED: a rollback still gives back what a failed session holds, and it stays failed.
CLOSABLE = [
    Status.AWAITING_APPROVAL,
    Status.APPROVED,
    Status.DECLINED,
    Status.RESERVED,
    Status.PAYMENT_PROCESSING,
    Status.FAILED,
]
# What the close service does once the money is back.
CLOSE_EXPIRE = "expire"
CLOSE_FAIL = "fail"
CLOSE_CANCEL = "cancel"


class OwnerType(models.TextChoices):
    USER = "user"
    GUEST = "guest"


class CheckoutSession(ConcurrentTransitionMixin, models.Model):
    """A merchant's cart on its way to becoming a paid order.

    Transitions only change fields; the services in checkout/services save them, write
    the timeline and emit the merchant's event in the same transaction.
    """

    Status = Status
    OwnerType = OwnerType

    class Channel(models.TextChoices):
        WEB = "web"
        MOBILE = "mobile"
        POS = "pos"
        API = "api"

    public_id = models.CharField(max_length=40, unique=True, default=_session_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="checkout_sessions")
    status = FSMField(default=Status.CREATED, choices=Status.choices, protected=True, db_index=True)
    cart_id = models.CharField(max_length=100, blank=True)
    # The document's `owner: {type, id}`: who is buying, a signed-in user of the merchant
    # or a guest. Both empty: no owner given.
    owner_type = models.CharField(max_length=10, choices=OwnerType.choices, blank=True)
    owner_id = models.CharField(max_length=200, blank=True, help_text="The merchant's id for the user or guest")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.WEB)
    currency = models.CharField(max_length=3)
    locale = models.CharField(max_length=20, default="en_US")
    metadata = models.JSONField(default=dict, blank=True)
    capture_mode = models.CharField(max_length=20, blank=True, help_text="Empty: the merchant's default")
    require_billing_address = models.BooleanField(default=False)
    success_url = models.URLField(max_length=2000, blank=True)
    error_url = models.URLField(max_length=2000, blank=True)
    callback_url = models.URLField(max_length=2000, blank=True)

    customer_email = models.EmailField(blank=True)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_phone = models.CharField(max_length=32, blank=True, help_text="E.164")
    customer_reference = models.CharField(max_length=200, blank=True)
    # The shopper asked for their payment preferences to be kept for next time; recorded
    # here and carried in the session resource and events for the merchant to act on.
    save_for_later = models.BooleanField(default=False)

    selected_shipping_rate = models.ForeignKey(
        "checkout.ShippingRate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pickup_location = models.ForeignKey(
        "checkout.PickupLocation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    promotion_codes = models.JSONField(default=list, blank=True)
    # Bumped by every change that can move the totals; a calculation made at an older
    # pricing_version is stale and cannot be paid.
    pricing_version = models.PositiveIntegerField(default=1)
    current_calculation = models.ForeignKey(
        "checkout.Calculation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reservation_id = models.CharField(max_length=40, blank=True)
    payment_intent_id = models.CharField(max_length=40, blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    # Why it failed, from one vocabulary (checkout.failures.REASONS), and when: set on
    # entering failed, expired or declined (or on claiming a close that will end there),
    # cleared when a remediation takes it back to payment.
    failure_code = models.CharField(max_length=32, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # Merchant approval (SPEC 6.1): when the order was placed for approval and approved,
    # and the time limit of the current wait (the merchant's answer, then the payment).
    approval_requested_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    payment_deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # While `closing`: when it was claimed (a claim left this long is resumed), which
    # intent it is giving back, how it ends once the money is back, and from where.
    closing_claimed_at = models.DateTimeField(null=True, blank=True)
    closing_intent_id = models.CharField(max_length=40, blank=True)
    closing_kind = models.CharField(max_length=10, blank=True)
    closing_reason = models.CharField(max_length=500, blank=True)
    closing_from = models.CharField(max_length=32, blank=True)

    version = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="session_merchant_recent"),
            models.Index(fields=["status", "expires_at"], name="session_status_expiry"),
            models.Index(
                fields=["merchant", "-created_at", "-id"],
                name="session_merchant_failures",
                condition=~models.Q(failure_code=""),
            ),
        ]

    def __str__(self):
        return self.public_id

    @property
    def owner(self) -> dict | None:
        if not self.owner_type and not self.owner_id:
            return None
        return {"type": self.owner_type or OwnerType.USER, "id": self.owner_id}

    @property
    def is_editable(self):
        return self.status in EDITABLE

    @property
    def calculation_is_current(self):
        calc = self.current_calculation
        return calc is not None and calc.pricing_version == self.pricing_version

    # --- transitions: field changes only ---------------------------------------------
    @transition(field=status, source=Status.CREATED, target=Status.COLLECTING)
    def start_collecting(self):
        pass

    @transition(field=status, source=[Status.CREATED, Status.COLLECTING], target=Status.AWAITING_APPROVAL)
    def request_approval(self, *, at=None, deadline=None):
        self.approval_requested_at = at
        self.payment_deadline_at = deadline

    @transition(field=status, source=Status.AWAITING_APPROVAL, target=Status.APPROVED)
    def approve(self, *, at=None, deadline=None):
        self.approved_at = at
        self.payment_deadline_at = deadline

    @transition(field=status, source=Status.AWAITING_APPROVAL, target=Status.DECLINED)
    def decline(self, reason=""):
        self.status_reason = reason

    @transition(field=status, source=[Status.CREATED, Status.COLLECTING, Status.APPROVED], target=Status.RESERVED)
    def reserve(self):
        pass

    @transition(
        field=status,
        source=[Status.CREATED, Status.COLLECTING, Status.APPROVED, Status.RESERVED],
        target=Status.PAYMENT_PROCESSING,
    )
    def start_payment(self):
        pass

    @transition(field=status, source=Status.PAYMENT_PROCESSING, target=Status.COMPLETED)
    def complete(self):
        pass

    # Remediation (POST /sessions/{id}/resolve): staff or the merchant take a failed
    # payment back to paying with another method, or record a payment settled outside.
    @transition(field=status, source=Status.FAILED, target=Status.PAYMENT_PROCESSING)
    def resume_payment(self):
        self.status_reason = ""

    @transition(field=status, source=[Status.PAYMENT_PROCESSING, Status.FAILED], target=Status.COMPLETED)
    def complete_manually(self, *, reason):
        self.status_reason = reason[:500]

    @transition(field=status, source=CLOSABLE, target=Status.CLOSING)
    def begin_closing(self, *, kind, reason, at):
        self.closing_from = self.status
        self.closing_kind = kind
        self.closing_reason = reason[:500]
        self.closing_claimed_at = at
        self.closing_intent_id = self.payment_intent_id

    @transition(field=status, source=Status.CLOSING, target=RETURN_VALUE(Status.PAYMENT_PROCESSING, Status.FAILED))
    def reopen(self):
        # Back where it was: an attempt in flight decides (deadline, rollback), or a
        # failed session that was only giving back what it held stays failed.
        back = self.closing_from if self.closing_from == Status.FAILED else Status.PAYMENT_PROCESSING
        self._forget_closing()
        return back

    @transition(field=status, source=[Status.PAYMENT_PROCESSING, Status.RESERVED, Status.CLOSING], target=Status.FAILED)
    def fail(self, reason=""):
        self.status_reason = reason
        self._forget_closing()

    @transition(field=status, source=[*CANCELABLE, Status.CLOSING], target=Status.CANCELED)
    def cancel(self, reason=""):
        self.status_reason = reason
        self._forget_closing()

    @transition(field=status, source=[*EXPIRABLE, Status.CLOSING], target=Status.EXPIRED)
    def expire(self, reason="The session passed its expiry time."):
        self.status_reason = reason
        self._forget_closing()

    def _forget_closing(self):
        self.closing_claimed_at = None
        self.closing_intent_id = ""
        self.closing_kind = ""
        self.closing_reason = ""
        self.closing_from = ""


class CartLine(models.Model):
    """A line of the merchant's cart, as it was when bound to the session (a snapshot)."""

    session = models.ForeignKey(CheckoutSession, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    public_id = models.CharField(max_length=40, default="", blank=True)
    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    unit_amount = models.BigIntegerField(help_text="Minor units of the session currency")
    tax_code = models.CharField(max_length=50, blank=True)
    requires_shipping = models.BooleanField(default=True)
    weight_grams = models.PositiveIntegerField(default=0)
    image_url = models.URLField(max_length=2000, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["session", "position"], name="cartline_position_unique")]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"


class Address(models.Model):
    class Kind(models.TextChoices):
        SHIPPING = "shipping"
        BILLING = "billing"

    class Validation(models.TextChoices):
        VALID = "valid"
        INVALID = "invalid"
        UNVERIFIED = "unverified"

    session = models.ForeignKey(CheckoutSession, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    line1 = models.CharField(max_length=300, blank=True)
    line2 = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=200, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="State, province or county")
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2)
    phone = models.CharField(max_length=32, blank=True)
    validation_status = models.CharField(max_length=12, choices=Validation.choices, default=Validation.UNVERIFIED)
    validation_messages = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "kind"], name="address_one_per_kind")]

    def __str__(self):
        return f"{self.kind} address of {self.session_id}"


class SessionEvent(models.Model):
    """The session's timeline: append-only, one row per transition or notable change,
    written in the same transaction as the change."""

    session = models.ForeignKey(CheckoutSession, on_delete=models.CASCADE, related_name="timeline")
    type = models.CharField(max_length=64)
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32, blank=True)
    actor = models.CharField(max_length=100, help_text="merchant:<key>, shopper, staff:<user>, system:<job>")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} on {self.session_id}"
