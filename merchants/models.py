from django.db import models
from django.utils import timezone

from core.ids import new_public_id
from core.process_cache import InvalidatingQuerySet


def _merchant_id():
    return new_public_id("mer")


def _supported_currencies_default():
    return ["USD", "EUR", "GBP"]


class Merchant(models.Model):
    """The tenant. Every API object belongs to one; its settings steer the whole checkout."""

    class CaptureMode(models.TextChoices):
        AUTOMATIC = "automatic"
        MANUAL = "manual"

    class ApprovalMode(models.TextChoices):
        AUTO = "auto"
        MERCHANT = "merchant"

    class Gateway(models.TextChoices):
        SIMULATOR = "simulator"
        STRIPE = "stripe"

    public_id = models.CharField(max_length=40, unique=True, default=_merchant_id, editable=False)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166-1 alpha-2")
    default_currency = models.CharField(max_length=3, default="USD")
    supported_currencies = models.JSONField(default=_supported_currencies_default)
    capture_mode = models.CharField(max_length=20, choices=CaptureMode.choices, default=CaptureMode.AUTOMATIC)
    session_ttl_minutes = models.PositiveIntegerField(default=60)
    payment_time_limit_minutes = models.PositiveIntegerField(default=10)
    max_payment_attempts = models.PositiveSmallIntegerField(default=3)
    approval_mode = models.CharField(max_length=20, choices=ApprovalMode.choices, default=ApprovalMode.AUTO)
    prices_include_tax = models.BooleanField(default=False)
    gateway = models.CharField(max_length=20, choices=Gateway.choices, default=Gateway.SIMULATOR)
    # Where operational notices go (e.g. a webhook endpoint was disabled).
    support_email = models.EmailField(blank=True)
    # Settings added by later features live here until they earn a column of their own.
    extra_settings = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvalidatingQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.public_id})"

    # DRF treats request.user as the principal: an authenticated merchant is one.
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False


class ApiKey(models.Model):
    """An API credential. Only a SHA-256 digest of the key is stored; the key itself is
    shown once at creation. `lookup` (the key's first characters) finds the row without
    a scan; the digest is then compared in constant time."""

    class Kind(models.TextChoices):
        SECRET = "secret"
        PUBLISHABLE = "publishable"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    lookup = models.CharField(max_length=32, unique=True)
    digest = models.CharField(max_length=64)
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvalidatingQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        indexes = [models.Index(fields=["merchant", "kind"], name="apikey_merchant_kind")]

    def __str__(self):
        return f"{self.lookup}…{self.last4}"

    @property
    def is_active(self):
        return self.revoked_at is None or self.revoked_at > timezone.now()


class MerchantOAuthClient(models.Model):
    """Ties an OAuth2 application (client credentials) to the merchant it acts for."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="oauth_clients")
    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="merchant_client"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "OAuth2 client"

    def __str__(self):
        return f"{self.application.client_id} → {self.merchant}"


def _event_id():
    return new_public_id("evt")


class Event(models.Model):
    """Something a merchant may care about, written in the same transaction as the change
    it describes (a transactional outbox): if the change commits, so does its event."""

    public_id = models.CharField(max_length=40, unique=True, default=_event_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64, db_index=True)
    checkout_id = models.CharField(max_length=40, blank=True, db_index=True)
    payment_intent_id = models.CharField(max_length=40, blank=True, db_index=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    # The request (or job) that caused the event: sent on as X-Request-ID with each delivery,
    # retries included, so one id leads from the API call to the merchant's receiver.
    request_id = models.CharField(max_length=128, blank=True)
    data = models.JSONField(default=dict)
    # A per-session callback that asked to hear this event too (SPEC 6.2), besides endpoints.
    callback_url = models.URLField(max_length=2000, blank=True)
    # Set once the event was fanned out to its deliveries; the sweeper dispatches the rest.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="event_merchant_recent"),
            models.Index(
                fields=["created_at"], name="event_undispatched", condition=models.Q(dispatched_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.public_id}"


# Webhook endpoints, secrets, deliveries and attempts live in their own module to keep
# this one readable; importing them here is what registers them with the app.
from merchants.audit.models import AuditEntry  # noqa: E402, F401
from merchants.webhooks.models import (  # noqa: E402, F401
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSecret,
)
