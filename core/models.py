from django.db import models


class IdempotencyKey(models.Model):
    """The first result of a mutating request, replayed for every retry with the same key.

    The unique constraint is the lock: whoever inserts (merchant, key) first runs the
    request; everyone else either replays the stored response or is told it is in use.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_method = models.CharField(max_length=10)
    request_path = models.CharField(max_length=2048)
    request_fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    locked_at = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="idempotency_key_unique_per_merchant"),
        ]

    def __str__(self):
        return f"{self.key} ({self.state})"


class Heartbeat(models.Model):
    """The last sign of life of a background process (`worker`, `beat`), for GET /health.

    One row per name, overwritten in place: only the newest beat matters."""

    name = models.CharField(max_length=40, unique=True)
    beat_at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.name} at {self.beat_at.isoformat()}"
