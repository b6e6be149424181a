"""The one way any app tells merchants that something happened.

`event_emit` (or `events_emit` for several) must be called inside the transaction that
makes the change: the event rows are the outbox, written in one INSERT. Delivery is
scheduled on commit, once per transaction whatever the number of events, so a
rolled-back change never announces itself and a committed one is never lost (a sweeper
re-queues what the process did not get to hand over).

An event that nobody can receive at the time it is written (no enabled endpoint of its
merchant subscribes to its type, no callback asked for it) is written already
dispatched: it stays readable in the API, and costs the queue nothing. Endpoints
created after an event never receive it anyway.
"""

from django.db import transaction
from django.utils import timezone

from core.logs import current_request_id
from core.rows import rows_write
from merchants.models import Event

# Registered by the webhook delivery code; kept as a registry so this module stays the
# single entry point and knows nothing of how events travel.
_routes = []


def register_event_handler(handler, *, wants=None):
    """`handler(event_ids)` runs once after the emitting transaction commits, with every
    event it emitted that `wants(merchant_id, type, callback_url)` (default: all)."""
    if all(route[0] is not handler for route in _routes):
        _routes.append((handler, wants))
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
    return events_emit(
        [
            {
                "merchant_id": merchant_id,
                "type": type,
                "data": data,
                "checkout_id": checkout_id,
                "payment_intent_id": payment_intent_id,
                "correlation_id": correlation_id,
                "callback_url": callback_url,
            }
        ]
    )[0]


def events_emit(events: list[dict], *, with_rows=()) -> list[Event]:
    """Writes several outbox rows (keyword sets as for event_emit) in one INSERT.
    `with_rows`: other unsaved rows of the same change (lists per model: a timeline, its
    audit rows), written in that same statement (core.rows.insert_rows). Inside a
    core.rows.rows_held block they go with the block's rows, at its end (their ids, and
    the delivery they schedule, come then)."""
    now = timezone.now()
    request_id = current_request_id()
    rows, wanted = [], []
    for spec in events:
        row = Event(
            merchant_id=spec["merchant_id"],
            type=spec["type"],
            data=spec["data"],
            checkout_id=spec.get("checkout_id") or "",
            payment_intent_id=spec.get("payment_intent_id") or "",
            correlation_id=spec.get("correlation_id") or "",
            callback_url=spec.get("callback_url") or "",
            request_id=request_id,
        )
        handlers = [
            handler for handler, wants in _routes if wants is None or wants(row.merchant_id, row.type, row.callback_url)
        ]
        if not handlers:
            row.dispatched_at = now
        rows.append(row)
        wanted.append(handlers)

    def schedule():
        for row, handlers in zip(rows, wanted, strict=True):
            for handler in handlers:
                _after_commit(handler, row.pk)

    rows_write(*with_rows, rows, then=schedule)
    return rows


def _after_commit(handler, event_id: int) -> None:
    """Adds the event to the handler's batch for this transaction, registering the batch's
    one on-commit call with the first event. Joining an earlier batch is always safe: a
    savepoint rollback that drops the batch's call also drops every event emitted after
    it (savepoints nest), and an event rolled back alone is skipped by the handler as
    missing. Reads Django's list of pending on-commit calls to know the batch is alive."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        handler([event_id])
        return
    batches = connection.__dict__.setdefault("_event_batches", {})
    batch = batches.get(handler)
    if batch is not None and any(entry[1] is batch[1] for entry in connection.run_on_commit):
        batch[0].append(event_id)
        return
    ids = [event_id]

    def flush():
        if batches.get(handler) is not None and batches[handler][0] is ids:
            del batches[handler]
        handler(ids)

    batches[handler] = (ids, flush)
    transaction.on_commit(flush, robust=True)
