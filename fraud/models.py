"""Fraud rules, assessments, alerts and block/allow lists (SPEC section 3, FraudAssessment).

Fraud scores plain facts (amount, currency, card fingerprint, e-mail, IP, device,
countries); it knows nothing of sessions. `payment_intent_id` and `reference` are the
caller's identifiers, kept as text so a reviewer can find what was scored.
Models are pure: transitions change fields only; fraud/services saves them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.ids import new_public_id
from core.process_cache import InvalidatingQuerySet


def _rule_id():
    return new_public_id("frr")


def _assessment_id():
    return new_public_id("fa")


def _alert_id():
    return new_public_id("fal")


def _entry_id():
    return new_public_id("fle")


class RuleType(models.TextChoices):
    VELOCITY = "velocity"
    GEOLOCATION = "geolocation"
    DEVICE_FINGERPRINT = "device_fingerprint"
    AMOUNT_THRESHOLD = "amount_threshold"
    BLACKLIST = "blacklist"


class RuleAction(models.TextChoices):
    # `score` adds the rule's points; `review` and `block` force at least that outcome,
    # like Radar's "Review if" / "Block if" rules.
    SCORE = "score"
    REVIEW = "review"
    BLOCK = "block"


class FraudRule(models.Model):
    """One merchant rule: a type, its conditions (validated per type by the evaluator),
    the points it adds when it matches, and what it forces."""

    public_id = models.CharField(max_length=40, unique=True, default=_rule_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="fraud_rules")
    name = models.CharField(max_length=100)
    rule_type = models.CharField(max_length=30, choices=RuleType.choices)
    conditions = models.JSONField(default=dict, blank=True)
    action = models.CharField(max_length=10, choices=RuleAction.choices, default=RuleAction.SCORE)
    score = models.PositiveSmallIntegerField(default=0, help_text="Points added when the rule matches (0-100)")
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower runs first")
    is_active = models.BooleanField(default=True)
    # A platform default installed for the merchant (editable like any other rule).
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvalidatingQuerySet.as_manager()  # scoring holds rules in memory (fraud/cached.py)

    class Meta:
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["merchant", "is_active", "priority"], name="fraudrule_merchant_active")]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="fraudrule_score_le_100"),
        ]

    def __str__(self):
        return f"{self.name} ({self.rule_type})"


class FraudProfile(models.Model):
    """Per-merchant fraud bookkeeping: when the platform's default rules were installed
    (once: a merchant who deletes them does not get them back)."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="fraud_profile")
    defaults_installed_at = models.DateTimeField(null=True, blank=True)
    # The secret the merchant's external fraud provider signs its webhooks with (encrypted).
    webhook_secret_encrypted = models.TextField(blank=True)
    # Transaction limits (GET|PATCH /tx-limits), checked before every authorization; null: none.
    max_amount_per_payment = models.BigIntegerField(null=True, blank=True, help_text="Minor units")
    daily_amount_limit = models.BigIntegerField(null=True, blank=True, help_text="Minor units, per UTC day")
    max_payments_per_card_per_day = models.PositiveIntegerField(null=True, blank=True)

    objects = InvalidatingQuerySet.as_manager()  # scoring holds it in memory (fraud/cached.py)

    def __str__(self):
        return f"fraud profile of {self.merchant_id}"


class Status(models.TextChoices):
    PENDING = "pending"
    ALLOWED = "allowed"
    IN_REVIEW = "in_review"
    BLOCKED = "blocked"


class RiskLevel(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class FraudAssessment(ConcurrentTransitionMixin, models.Model):
    """One scoring of one set of facts. PENDING → ALLOWED | IN_REVIEW | BLOCKED; a
    reviewer moves IN_REVIEW → ALLOWED | BLOCKED."""

    Status = Status
    RiskLevel = RiskLevel

    class Decision(models.TextChoices):
        NONE = ""
        APPROVED = "approved"
        REFUSED = "refused"
        LAPSED = "lapsed"

    public_id = models.CharField(max_length=40, unique=True, default=_assessment_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="fraud_assessments")
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    # A payment about to be authorized, or "" for a score asked for without paying.
    payment_intent_id = models.CharField(max_length=40, blank=True, db_index=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    amount = models.BigIntegerField(help_text="Minor units")
    currency = models.CharField(max_length=3)
    email = models.CharField(max_length=254, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    card_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    device_fingerprint = models.CharField(max_length=128, blank=True, db_index=True)
    billing_country = models.CharField(max_length=2, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)
    card_country = models.CharField(max_length=2, blank=True)
    # What a reviewer may see of the card (never the number): brand and last four.
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    geolocation = models.JSONField(default=dict, blank=True)
    risk_score = models.PositiveSmallIntegerField(default=0)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW)
    rule_matches = models.JSONField(default=list, blank=True)
    allow_listed = models.BooleanField(default=False)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    reviewed_by = models.CharField(max_length=150, blank=True)
    # Four-eyes: above the merchant's `fraud_four_eyes_above`, a staff approval needs a second
    # analyst; the first one is kept here until then.
    first_approved_by = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="fraud_reviews"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "status", "created_at"], name="fraudassessment_queue"),
            models.Index(fields=["merchant", "created_at"], name="fraudassessment_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(risk_score__lte=100), name="fraudassessment_score_le_100"),
        ]
        permissions = [("review_fraudassessment", "Can approve or reject fraud reviews")]

    def __str__(self):
        return self.public_id

    @property
    def is_open_review(self) -> bool:
        return self.status == Status.IN_REVIEW

    # --- transitions: field changes only ---------------------------------------------
    @transition(field=status, source=Status.PENDING, target=Status.ALLOWED)
    def allow(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.IN_REVIEW)
    def hold_for_review(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.BLOCKED)
    def block(self):
        pass

    @transition(field=status, source=Status.IN_REVIEW, target=Status.ALLOWED)
    def approve(self, *, by, at, reason=""):
        self.decision = self.Decision.APPROVED
        self.reviewed_by = by
        self.reviewed_at = at
        self.decision_reason = reason

    @transition(field=status, source=Status.IN_REVIEW, target=Status.BLOCKED)
    def reject(self, *, by, at, reason="", decision=Decision.REFUSED):
        self.decision = decision
        self.reviewed_by = by
        self.reviewed_at = at
        self.decision_reason = reason


class FraudReview(FraudAssessment):
    """The analysts' queue: assessments of payments held for review (admin only)."""

    class Meta:
        proxy = True
        verbose_name = "review"
        verbose_name_plural = "review queue"


class FraudAlert(models.Model):
    """Raised for every block and every review opened; listed with the assessment and
    e-mailed to the analysts."""

    class Kind(models.TextChoices):
        BLOCKED = "blocked"
        REVIEW_OPENED = "review_opened"
        REVIEW_CLOSED = "review_closed"

    public_id = models.CharField(max_length=40, unique=True, default=_alert_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="fraud_alerts")
    assessment = models.ForeignKey(FraudAssessment, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        # Named by what staff search for: the payment's public id (or the assessment's, for a
        # score asked for without paying), never a row number.
        assessment = self.assessment
        return f"{self.kind} on {assessment.payment_intent_id or assessment.public_id}"


class ListEntry(models.Model):
    """A block-list entry (scores 100) or an allow-list entry (bypasses scoring).

    Values are stored normalized (e-mail lower-cased, country upper-cased) so a match is
    an exact comparison.
    """

    class List(models.TextChoices):
        BLOCK = "block"
        ALLOW = "allow"

    class Kind(models.TextChoices):
        EMAIL = "email"
        IP_ADDRESS = "ip_address"
        CARD_FINGERPRINT = "card_fingerprint"
        DEVICE_FINGERPRINT = "device_fingerprint"
        COUNTRY = "country"

    public_id = models.CharField(max_length=40, unique=True, default=_entry_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="fraud_list_entries")
    list = models.CharField(max_length=10, choices=List.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    value = models.CharField(max_length=254)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvalidatingQuerySet.as_manager()  # scoring holds lists in memory (fraud/cached.py)

    class Meta:
        verbose_name = "list entry"
        verbose_name_plural = "list entries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "list", "kind", "value"], name="fraud_list_entry_unique"),
        ]

    def __str__(self):
        return f"{self.list}:{self.kind}={self.value}"


class ProviderEvent(models.Model):
    """A verified decision from the merchant's external fraud provider, stored once per
    (merchant, webhook id): a redelivery converges on the first."""

    class Outcome(models.TextChoices):
        APPLIED = "applied"
        IGNORED = "ignored"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="fraud_provider_events")
    webhook_id = models.CharField(max_length=100)
    assessment_id = models.CharField(max_length=40, db_index=True)
    decision = models.CharField(max_length=10)
    sent_at = models.DateTimeField(help_text="The provider's webhook-timestamp: orders decisions")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "webhook_id"], name="fraud_provider_event_unique"),
        ]

    def __str__(self):
        return f"{self.decision} for {self.assessment_id}"


def _kyc_id():
    return new_public_id("kyc")


class KycVerification(ConcurrentTransitionMixin, models.Model):
    """Know-your-customer check of a payer (by the caller's reference, e.g. a session):
    PENDING → VERIFIED | REJECTED, decided by the provider's signed callback."""

    class Status(models.TextChoices):
        PENDING = "pending"
        VERIFIED = "verified"
        REJECTED = "rejected"

    public_id = models.CharField(max_length=40, unique=True, default=_kyc_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="kyc_verifications")
    reference = models.CharField(max_length=100, db_index=True)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "KYC verification"
        constraints = [
            # One open verification per payer reference: a second start returns it.
            models.UniqueConstraint(
                fields=["merchant", "reference"], condition=Q(status="pending"), name="kyc_one_pending_per_reference"
            ),
        ]

    def __str__(self):
        return self.public_id

    @transition(field=status, source=Status.PENDING, target=Status.VERIFIED)
    def verify(self, *, at, reason=""):
        self.decided_at = at
        self.reason = reason

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, *, at, reason=""):
        self.decided_at = at
        self.reason = reason


class KycDocument(models.Model):
    class Type(models.TextChoices):
        PASSPORT = "passport"
        ID_CARD = "id_card"
        PROOF_OF_ADDRESS = "proof_of_address"

    verification = models.ForeignKey(KycVerification, on_delete=models.CASCADE, related_name="documents")
    type = models.CharField(max_length=20, choices=Type.choices)
    file = models.FileField(upload_to="kyc/%Y/%m/")
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.type} of {self.verification_id}"
