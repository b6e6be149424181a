"""Celery entry points for merchant webhooks: thin shells around webhook_delivery.

Each takes ids and is safe to run twice: the fan-out is unique per (event, endpoint) and
a delivery attempt is claimed by compare-and-set. Database hiccups retry with capped
backoff; HTTP failures are not task retries but the delivery's own schedule.
"""

from celery import shared_task
from django.db import DatabaseError

from merchants.webhook_delivery import delivery_attempt, event_dispatch, webhooks_sweep
from merchants.webhooks.services import endpoint_notify_disabled

_TRANSIENT = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(name="merchants.webhooks.dispatch_event", acks_late=True, **_TRANSIENT)
def dispatch_event(event_id: int) -> int:
    """Kept for messages queued before dispatch_events existed."""
    return len(event_dispatch(event_id=event_id))


@shared_task(name="merchants.webhooks.dispatch_events", acks_late=True, **_TRANSIENT)
def dispatch_events(event_ids: list[int]) -> int:
    """One task per committed transaction, whatever the number of its events."""
    return sum(len(event_dispatch(event_id=event_id)) for event_id in event_ids)


@shared_task(name="merchants.webhooks.deliver", acks_late=True, **_TRANSIENT)
def deliver(delivery_id: int) -> str:
    return delivery_attempt(delivery_id=delivery_id)


@shared_task(name="merchants.webhooks.sweep", acks_late=True)
def sweep() -> dict:
    return webhooks_sweep()


@shared_task(
    name="merchants.webhooks.notify_endpoint_disabled",
    acks_late=True,
    **{**_TRANSIENT, "autoretry_for": (DatabaseError, OSError)},  # SMTP errors are OSErrors
)
def notify_endpoint_disabled(endpoint_pk: int) -> bool:
    return endpoint_notify_disabled(endpoint_pk=endpoint_pk)


@shared_task(name="merchants.prune_events", acks_late=True, **_TRANSIENT)
def prune_events() -> int:
    from merchants.retention import events_prune

    return events_prune()
