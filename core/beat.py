"""The beat scheduler, recording its own ticks for GET /health."""

import time

from django.db import DatabaseError
from django_celery_beat.schedulers import DatabaseScheduler

from core.heartbeats import BEAT, heartbeat_record

# A tick can come every second; one write in this many seconds is proof enough of life.
RECORD_EVERY_SECONDS = 10


class HeartbeatScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler, plus a `beat` heartbeat on its ticks."""

    _last_recorded = 0.0

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._last_recorded >= RECORD_EVERY_SECONDS:
            try:
                heartbeat_record(BEAT)
                self._last_recorded = now
            except DatabaseError:
                pass  # a database outage is health's to report, not a reason to stop scheduling
        return interval
