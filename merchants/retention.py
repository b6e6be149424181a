"""Retention: merchant events (GET /events) and their delivery logs older than
EVENTS_RETENTION_DAYS are deleted, not hidden. The audit trail (merchants.AuditEntry)
and every balance record are kept; an event whose delivery is still pending is kept
until it is delivered or given up, so pruning never loses a notice on its way."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from merchants.models import Event, WebhookDelivery

BATCH_SIZE = 1000
MAX_BATCHES = 100  # a run deletes at most this many batches; the next run goes on


def events_prune(*, now=None, batch_size: int = BATCH_SIZE, max_batches: int = MAX_BATCHES) -> int:
    """Deletes old events with their deliveries and attempts (cascade), in short
    transactions of `batch_size`; returns how many events went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_RETENTION_DAYS)
    pending = WebhookDelivery.objects.filter(event=OuterRef("pk"), state=WebhookDelivery.State.PENDING)
    prunable = Event.objects.filter(created_at__lt=cutoff, dispatched_at__isnull=False).exclude(Exists(pending))
    deleted = 0
    for _ in range(max_batches):
        ids = list(prunable.order_by("created_at").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        with transaction.atomic():
            Event.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted
