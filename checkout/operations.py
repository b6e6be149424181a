"""GET /diagnostics and GET /threads: the merchant's pipeline as it is now (reads only)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Avg, Count, FloatField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from checkout.models import CheckoutSession, FinalizationJob, SessionEvent
from checkout.models.session import TERMINAL
from core.broker import queue_depths
from merchants.selectors import webhook_deliveries_overdue, webhook_delivery_counts
from payments.selectors import gateway_events_oldest_unprocessed, payment_attempts_overdue, payment_latency

logger = logging.getLogger(__name__)
WINDOW = timedelta(hours=1)


def _seconds_since(moment, now) -> float | None:
    return round((now - moment).total_seconds(), 1) if moment else None


def _queues() -> dict:
    try:
        return queue_depths()
    except Exception as exc:  # the broker down is health's to report; diagnostics still answer
        logger.warning("queue depths unavailable: %s", exc.__class__.__name__)
        return {}


def diagnostics_for(*, merchant_id: int) -> dict:
    now = timezone.now()
    since = now - WINDOW
    in_flight = (
        CheckoutSession.objects.filter(merchant_id=merchant_id)
        .exclude(status__in=TERMINAL)
        .values("status")
        .annotate(count=Count("id"))
        .order_by("status")
    )
    reservations = SessionEvent.objects.filter(
        session__merchant_id=merchant_id,
        type="reservation.created",
        created_at__gte=since,
        data__has_key="latency_ms",
    ).aggregate(count=Count("id"), avg=Avg(Cast(KT("data__latency_ms"), FloatField())))
    oldest_event = gateway_events_oldest_unprocessed()
    return {
        "object": "diagnostics",
        "generated_at": now,
        "window_seconds": int(WINDOW.total_seconds()),
        "sessions_in_flight": {row["status"]: row["count"] for row in in_flight},
        "reservation_latency": {
            "count": reservations["count"],
            "avg_ms": round(reservations["avg"]) if reservations["avg"] is not None else None,
        },
        "payment_intent_latency": payment_latency(merchant_id=merchant_id, since=since),
        "queue_depth": _queues(),
        "webhook_deliveries": webhook_delivery_counts(merchant_id=merchant_id),
        "oldest_unprocessed_gateway_event_seconds": _seconds_since(oldest_event, now),
    }


def threads_for(*, merchant_id: int) -> list[dict]:
    """Jobs past their expected time, longest-running first: finalization jobs running or
    queued, sessions giving money back (closing), payment attempts waiting on the gateway,
    webhook deliveries a worker claimed and did not finish."""
    now = timezone.now()
    expected = settings.THREADS_EXPECTED_SECONDS
    cutoff = now - timedelta(seconds=expected)
    threads = []
    jobs = (
        FinalizationJob.objects.filter(merchant_id=merchant_id)
        .filter(
            Q(status=FinalizationJob.Status.RUNNING, started_at__lte=cutoff)
            | Q(status=FinalizationJob.Status.QUEUED, created_at__lte=cutoff)
        )
        .select_related("session")[:100]
    )
    for job in jobs:
        started = job.started_at or job.created_at
        threads.append(
            {
                "kind": "finalization",
                "id": job.public_id,
                "checkout_id": job.session.public_id,
                "status": job.status,
                "started_at": started,
            }
        )
    closing = CheckoutSession.objects.filter(
        merchant_id=merchant_id, status=CheckoutSession.Status.CLOSING, closing_claimed_at__lte=cutoff
    )[:100]
    for session in closing:
        threads.append(
            {
                "kind": "closing",
                "id": session.public_id,
                "checkout_id": session.public_id,
                "status": f"closing:{session.closing_kind}",
                "started_at": session.closing_claimed_at,
            }
        )
    for attempt in payment_attempts_overdue(merchant_id=merchant_id, older_than=cutoff):
        threads.append(
            {
                "kind": "payment_attempt",
                "id": attempt["id"],
                "checkout_id": attempt["reference"] if attempt["reference"].startswith("cs_") else None,
                "status": attempt["status"],
                "started_at": attempt["started_at"],
            }
        )
    for delivery in webhook_deliveries_overdue(merchant_id=merchant_id, older_than=cutoff):
        threads.append(
            {
                "kind": "webhook_delivery",
                "id": delivery["id"],
                "checkout_id": None,
                "status": delivery["status"],
                "started_at": delivery["started_at"],
            }
        )
    for thread in threads:
        thread.setdefault("checkout_id", None)
        thread["running_seconds"] = _seconds_since(thread["started_at"], now)
        thread["expected_seconds"] = expected
    return sorted(threads, key=lambda thread: thread["started_at"])
