from django.db import models

from core.ids import new_public_id


def _audit_id():
    return new_public_id("aud")


class AuditEntry(models.Model):
    """One row of the merchant's audit trail: a state or configuration change of one of its
    objects, who made it, before/after, and the request it came from.

    Append-only (PostgreSQL refuses an UPDATE), written in the transaction of the change by
    the one-path helpers of each app (session, payment, refund and dispute transitions,
    fraud decisions, settings, keys, webhook endpoints), and never pruned by retention.
    """

    class ActorType(models.TextChoices):
        API_KEY = "api_key"
        OAUTH_CLIENT = "oauth_client"
        STAFF = "staff"
        SHOPPER = "shopper"
        SYSTEM = "system"
        GATEWAY = "gateway"
        ANONYMOUS = "anonymous"

    public_id = models.CharField(max_length=40, unique=True, default=_audit_id, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    action = models.CharField(max_length=64)
    actor = models.CharField(max_length=140, help_text="merchant:<key or client>, shopper, staff:<user>, system:<job>")
    actor_type = models.CharField(max_length=20, choices=ActorType.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "audit entries"
        # Notes are audit rows (no second store): who may write one is a permission here.
        permissions = [("add_support_note", "Can add support notes to sessions, payments and orders")]
        indexes = [
            models.Index(fields=["merchant", "-created_at", "-id"], name="audit_merchant_recent"),
            models.Index(fields=["merchant", "object_type", "object_id"], name="audit_merchant_object"),
            models.Index(fields=["merchant", "actor"], name="audit_merchant_actor"),
        ]

    def __str__(self):
        return f"{self.action} on {self.object_type} {self.object_id}"
