"""Heartbeats of the Celery worker and the beat scheduler, and how old they may get.

The worker's is written by the `core.heartbeat` task (which beat sends every 30 s, so a
fresh one also says the worker keeps up with its queue); beat's by the scheduler itself
on its ticks (core.beat). GET /health calls either stale past its setting.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core.models import Heartbeat

WORKER = "worker"
BEAT = "beat"


def heartbeat_record(name: str, *, detail: dict | None = None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now(), "detail": detail or {}})


def heartbeat_state(name: str) -> tuple[bool, str, float | None]:
    """(fresh, "ok" | "stale" | "missing", age in seconds)."""
    beat = Heartbeat.objects.filter(name=name).only("beat_at").first()
    if beat is None:
        return False, "missing", None
    age = (timezone.now() - beat.beat_at).total_seconds()
    limit = timedelta(seconds=settings.HEALTH_HEARTBEAT_STALE_SECONDS[name]).total_seconds()
    return age <= limit, "ok" if age <= limit else "stale", round(age, 1)
