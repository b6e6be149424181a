"""The one way any app tells merchants that something happened.

`event_emit` must be called inside the transaction that makes the change: the event row
is the outbox. Delivery to webhook endpoints is scheduled on commit, so a rolled-back
change never announces itself, and a committed one is never lost (a sweeper re-queues
what the process did not get to hand over).
"""

from django.db import transaction

from core.logs import current_request_id
from merchants.models import Event

# Registered by the webhook delivery code; kept as a registry so this module stays the
# single entry point and knows nothing of how events travel.
_on_commit_handlers = []


def register_event_handler(handler):
    """`handler(event_id)` runs after the emitting transaction commits."""
    if handler not in _on_commit_handlers:
        _on_commit_handlers.append(handler)
    return handler


def event_emit(
    *,
    merchant_id: int,
    type: str,
    data: dict,
    checkout_id: str = "",
    payment_intent_id: str = "",
    correlation_id: str = "",
    callback_url: str = "",
) -> Event:
    """Writes the outbox row. `callback_url`: a per-session callback that must hear this
    event as well as the merchant's subscribed endpoints (the caller decides which events
    a callback gets); it is signed and retried like any delivery."""
    event = Event.objects.create(
        merchant_id=merchant_id,
        type=type,
        data=data,
        checkout_id=checkout_id or "",
        payment_intent_id=payment_intent_id or "",
        correlation_id=correlation_id or "",
        callback_url=callback_url or "",
        request_id=current_request_id(),
    )
    for handler in _on_commit_handlers:
        transaction.on_commit(lambda handler=handler, event_id=event.pk: handler(event_id))
    return event
