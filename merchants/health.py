"""GET /health's view of webhook delivery: is the backlog being worked off?"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from merchants.models import Event, WebhookDelivery


def webhook_backlog_overdue() -> int:
    """Deliveries (and events never fanned out) due longer ago than the setting allows,
    counted up to the limit + 1: the probe never counts a whole table."""
    cutoff = timezone.now() - timedelta(seconds=settings.HEALTH_WEBHOOK_BACKLOG_SECONDS)
    limit = settings.HEALTH_WEBHOOK_BACKLOG_MAX + 1
    due = Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at__isnull=True, created_at__lte=cutoff)
    deliveries = WebhookDelivery.objects.filter(due, state=WebhookDelivery.State.PENDING).values("pk")[:limit]
    undispatched = Event.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff).values("pk")[:limit]
    return len(deliveries) + len(undispatched)


def webhook_backlog_ok() -> tuple[bool, str]:
    healthy = webhook_backlog_overdue() <= settings.HEALTH_WEBHOOK_BACKLOG_MAX
    return healthy, "ok" if healthy else "backlog"
