"""Our own Prometheus metrics, beside django-prometheus' request and database ones.

Counters move only when the change they count commits (`count` defers to on_commit), so a
rolled-back payment is never reported as taken. Labels come from closed vocabularies
(states, decline codes, results) and are clipped, so a gateway's odd answer cannot grow
the series without bound. Gauges that describe the world (queue depth, webhook backlog)
are read when Prometheus scrapes, not kept up to date by the code that changes them.
"""

import hmac
import logging
import os
import re

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from kombu import Connection
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import REGISTRY, GaugeMetricFamily

logger = logging.getLogger(__name__)

PAYMENTS = Counter(
    "payments_outcomes",
    "Payment attempts settled, by outcome (succeeded, authorized, failed, canceled) and decline code.",
    ["outcome", "decline_code"],
)
THREE_DS = Counter(
    "payments_3ds_challenges",
    "3-D Secure challenges: challenged when one starts, then passed or failed.",
    ["result"],
)
WEBHOOK_DELIVERIES = Counter(
    "webhook_deliveries",
    "Attempts to deliver a merchant webhook, by result (succeeded, retrying, failed, superseded).",
    ["result"],
)
FINALIZATIONS = Counter(
    "checkout_finalizations",
    "Paid sessions turned into orders (completed) or given back after a failure (failed).",
    ["outcome"],
)
REFUNDS = Counter("refunds", "Refunds that reached a final state, by state.", ["outcome"])
FRAUD_DECISIONS = Counter("fraud_decisions", "Fraud assessments, by decision (allow, review, block).", ["decision"])

_LABEL = re.compile(r"[^a-z0-9_]+")


def label(value) -> str:
    """A label value from a closed vocabulary: lower-case words, at most 40 characters."""
    text = _LABEL.sub("_", str(value or "").lower()).strip("_")[:40]
    return text or "none"


def count(counter: Counter, **labels) -> None:
    """Adds one once the current transaction commits (at once outside a transaction)."""
    values = {name: label(value) for name, value in labels.items()}
    transaction.on_commit(lambda: counter.labels(**values).inc())


# --- read at scrape time ----------------------------------------------------------------
def _queue_names() -> list[str]:
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, *getattr(settings, "METRICS_EXTRA_QUEUES", [])})


class QueueDepthCollector:
    """Messages waiting in each Celery queue, asked of the broker on every scrape (a
    fresh, short-lived connection: the scrape must see the broker as it is now)."""

    def collect(self):
        depth = GaugeMetricFamily("celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"])
        up = GaugeMetricFamily("celery_broker_up", "1 when the broker answered the last scrape.")
        try:
            options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
            with Connection(settings.CELERY_BROKER_URL, transport_options=options, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
                channel = conn.default_channel
                for name in _queue_names():
                    try:
                        waiting = channel.queue_declare(queue=name, passive=True).message_count
                    except Exception:  # a queue nobody declared yet holds nothing
                        waiting = 0
                    depth.add_metric([name], waiting)
            up.add_metric([], 1)
        except Exception as exc:
            logger.warning("Queue depth not read: %s", exc.__class__.__name__)
            up.add_metric([], 0)
        yield depth
        yield up


_SCRAPE_COLLECTORS = [QueueDepthCollector()]


def register_scrape_collector(collector) -> None:
    """For an app's own gauges read at scrape time (called from its AppConfig.ready())."""
    if collector not in _SCRAPE_COLLECTORS:
        _SCRAPE_COLLECTORS.append(collector)


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    """The text Prometheus scrapes: every process's counters (multiprocess mode) or this
    one's, plus the gauges read now."""
    if _multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scraped = CollectorRegistry()
    for collector in _SCRAPE_COLLECTORS:
        scraped.register(collector)
    return generate_latest(registry) + generate_latest(scraped)


def metrics_page(request):
    """GET /metrics for a scraper holding `Authorization: Bearer <METRICS_TOKEN>`; a 404
    while no token is configured, so an unprotected page is never served."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
