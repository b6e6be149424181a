"""Where events go (endpoints and callback targets), with what secret, and how it went."""

from django.db import models
from django_fsm import FSMField, transition

from core.ids import new_public_id


def _endpoint_id():
    return new_public_id("we")


def _message_id():
    return new_public_id("msg")


class WebhookEndpoint(models.Model):
    """A delivery target. `endpoint`: subscribed by the merchant for event patterns.
    `callback`: a session's callback_url, created on demand and signed with the merchant's
    callback secret; both travel through the same delivery code."""

    class Kind(models.TextChoices):
        ENDPOINT = "endpoint"
        CALLBACK = "callback"

    class Status(models.TextChoices):
        ENABLED = "enabled"
        DISABLED = "disabled"
        DELETED = "deleted"

    public_id = models.CharField(max_length=40, unique=True, default=_endpoint_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="webhook_endpoints")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ENDPOINT)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, blank=True, help_text="Event types or patterns such as payment.*")
    description = models.CharField(max_length=500, blank=True)
    status = FSMField(default=Status.ENABLED, choices=Status.choices, protected=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failed attempts; cleared by any success.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "kind", "status"], name="webhook_endpoint_merchant")]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "url"], condition=models.Q(kind="callback"), name="webhook_callback_target_once"
            )
        ]

    def __str__(self):
        return f"{self.public_id} {self.url}"

    @property
    def accepts_only_200(self) -> bool:
        # SPEC 6.2: the merchant acknowledges a callback with exactly 200.
        return self.kind == self.Kind.CALLBACK

    @transition(field=status, source=Status.ENABLED, target=Status.DISABLED)
    def disable(self, *, reason: str, at):
        self.disabled_reason = reason
        self.disabled_at = at

    @transition(field=status, source=Status.DISABLED, target=Status.ENABLED)
    def enable(self):
        self.disabled_reason = ""
        self.disabled_at = None
        self.failing_since = None

    @transition(field=status, source=[Status.ENABLED, Status.DISABLED], target=Status.DELETED)
    def mark_deleted(self):
        pass


class WebhookSecret(models.Model):
    """A signing secret, Fernet-encrypted: it must be recoverable to sign, so not hashed.
    `endpoint` empty means the merchant's callback signing secret. A rotated-out secret
    keeps signing until `expires_at`, so receivers can switch without losing events."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="webhook_secrets")
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="secrets"
    )
    ciphertext = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "endpoint"], name="webhook_secret_owner")]

    def __str__(self):
        return f"secret #{self.pk} of {self.endpoint_id or 'callbacks'}"  # never the secret itself

    def __repr__(self):
        return f"<WebhookSecret {self.pk}>"


class WebhookDelivery(models.Model):
    """One event to one target: the unit of at-least-once delivery.

    `public_id` is the `webhook-id` header, the same on every attempt, so receivers can
    deduplicate. A worker claims an attempt by compare-and-set on `attempt_count`, which
    also pushes `next_attempt_at` out by the claim lease: a claim never recorded becomes
    due again when the lease runs out, and the sweeper re-queues it.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    public_id = models.CharField(max_length=40, unique=True, default=_message_id, editable=False)
    event = models.ForeignKey("merchants.Event", on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    state = FSMField(default=State.PENDING, choices=State.choices, protected=True)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_endpoint"),
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due", condition=models.Q(state="pending")),
        ]

    def __str__(self):
        return self.public_id

    @transition(field=state, source=State.PENDING, target=State.SUCCEEDED)
    def succeed(self):
        self.next_attempt_at = None
        self.failure_reason = ""

    @transition(field=state, source=State.PENDING, target=State.PENDING)
    def retry_at(self, when):
        self.next_attempt_at = when

    @transition(field=state, source=State.PENDING, target=State.FAILED)
    def give_up(self, *, reason: str):
        self.next_attempt_at = None
        self.failure_reason = reason[:500]

    @transition(field=state, source=[State.SUCCEEDED, State.FAILED], target=State.PENDING)
    def requeue(self, when):
        self.next_attempt_at = when
        self.failure_reason = ""


class WebhookAttempt(models.Model):
    """Append-only log of every HTTP try of a delivery."""

    EXCERPT_CHARS = 1024

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_once")]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"
