"""The subsystems GET /health reports, as a registry.

Core registers what it owns (database, broker, worker and beat heartbeats); each app
registers its own in AppConfig.ready() (merchants: the webhook backlog; payments: one
check per configured gateway; checkout: that hosted pages render), so core imports none
of them. A check returns (healthy, state): state is "ok" or a short word for what is
wrong, never a detail worth hiding from an unauthenticated caller.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from kombu import Connection

from core.heartbeats import BEAT, WORKER, heartbeat_state

logger = logging.getLogger(__name__)

Check = Callable[[], tuple[bool, str]]
_checks: dict[str, Check] = {}


def register_health_check(name: str, check: Check) -> None:
    _checks[name] = check


def health_checks_run() -> dict[str, tuple[bool, str]]:
    """Every registered check, each on its own: one that raises is reported as down."""
    results = {}
    for name, check in _checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure means "down" to a health probe
            logger.warning("health check %s failed: %s", name, exc.__class__.__name__)
            results[name] = (False, exc.__class__.__name__)
    return results


def database_ok() -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, "ok"


def broker_ok() -> tuple[bool, str]:
    # A fresh connection from the settings, not the app's pool: the probe must see the
    # broker as it is now, not a connection opened before it went down.
    url = settings.CELERY_BROKER_URL
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    with Connection(url, transport_options=options, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return True, "ok"


def worker_ok() -> tuple[bool, str]:
    fresh, state, _ = heartbeat_state(WORKER)
    return fresh, state


def beat_ok() -> tuple[bool, str]:
    fresh, state, _ = heartbeat_state(BEAT)
    return fresh, state


register_health_check("database", database_ok)
register_health_check("broker", broker_ok)
register_health_check("worker", worker_ok)
register_health_check("beat", beat_ok)
