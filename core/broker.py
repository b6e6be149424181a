"""Reads from the Celery broker itself (never through a worker): how many messages wait."""

from django.conf import settings
from kombu import Connection


def queue_names() -> list[str]:
    routed = {
        route.get("queue")
        for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values()
        if isinstance(route, dict)
    }
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, *(name for name in routed if name)})


def queue_depths() -> dict[str, int | None]:
    """{queue: messages waiting}; None for a queue the broker could not be asked about."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    depths: dict[str, int | None] = {}
    transport = getattr(settings, "CELERY_BROKER_TRANSPORT", None)
    with Connection(
        settings.CELERY_BROKER_URL, transport=transport, transport_options=options, connect_timeout=2
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        channel = conn.default_channel
        for name in queue_names():
            try:
                depths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except Exception:  # a queue nobody declared yet holds nothing
                depths[name] = 0 if conn.transport.driver_type == "redis" else None
    return depths
