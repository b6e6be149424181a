"""Delivering events: fan-out after commit, then claim → POST → record, retries, sweeper.

Guarantees:
- At least once. An event's deliveries are created after its transaction commits (or by
  the sweeper if the process died first); a delivery stays `pending` until a receiver
  acknowledges it, through retries, lost tasks and dead workers.
- One `webhook-id` per (event, target): `WebhookDelivery.public_id`, on every attempt.
- No network I/O inside a transaction: the claim is a single compare-and-set UPDATE, the
  POST runs in autocommit, the result is recorded in a short transaction.

Retry schedule (settings.WEBHOOK_RETRY_SCHEDULE_SECONDS, +/- WEBHOOK_RETRY_JITTER): after
attempt 1 wait 5 s, then 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 20 h, 10 h; attempt 11
is the last, about 3 days after the event. Then the delivery is `failed`.
"""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import metrics
from core.exceptions import NotFound
from core.ids import new_public_id
from core.logs import current_request_id
from core.request_id import HEADER as REQUEST_ID_HEADER
from core.request_id import bound_request_id
from merchants.models import Event
from merchants.webhooks.event_types import TEST_EVENT_TYPE, subscribed
from merchants.webhooks.http import HttpResult, post_json
from merchants.webhooks.locks import lock_delivery, lock_event
from merchants.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from merchants.webhooks.payload import event_payload, iso_datetime, payload_body
from merchants.webhooks.selectors import endpoint_for_test, signing_secrets
from merchants.webhooks.services import callback_target_get_or_create, endpoint_disable
from merchants.webhooks.signing import signed_headers

logger = logging.getLogger(__name__)

PENDING = WebhookDelivery.State.PENDING
ENABLED = WebhookEndpoint.Status.ENABLED
# Older undispatched events are past the retry window; delivering them now would mislead.
SWEEP_EVENT_WINDOW = timedelta(days=3)


# --- hand-over to the queue -------------------------------------------------------------
def on_event_committed(event_id: int) -> None:
    """Registered with merchants.events: queues the fan-out once the event committed.
    A broker outage must not fail the request that already committed; the sweeper
    dispatches what was not handed over."""
    from merchants.tasks import dispatch_event  # the tasks module imports this one

    try:
        dispatch_event.delay(event_id)
    except Exception:
        logger.exception("Event %s not queued; the sweeper will dispatch it.", event_id)


def _enqueue(delivery_ids, *, countdown: float | None = None) -> None:
    from merchants.tasks import deliver

    for delivery_id in delivery_ids:
        try:
            deliver.apply_async((delivery_id,), countdown=countdown)
        except Exception:
            logger.exception("Delivery %s not queued; the sweeper will re-queue it.", delivery_id)


# --- fan-out ----------------------------------------------------------------------------
def event_dispatch(*, event_id: int, force: bool = False) -> list[int]:
    """Creates one delivery per enabled target of the event's merchant that subscribes to
    its type (plus its callback_url target), then queues them after commit.

    Locks the event row, so the on-commit task and the sweeper serialize; safe to run
    twice ((event, endpoint) is unique). `force` re-runs an already dispatched event.
    Endpoints created after the event do not receive it.
    """
    with transaction.atomic():
        event = lock_event(event_id=event_id)
        if event is None or (event.dispatched_at and not force):
            return []
        now = timezone.now()
        targets = [
            endpoint
            for endpoint in WebhookEndpoint.objects.filter(
                merchant_id=event.merchant_id,
                kind=WebhookEndpoint.Kind.ENDPOINT,
                status=ENABLED,
                created_at__lte=event.created_at,
            )
            if subscribed(endpoint.events, event.type)
        ]
        if event.callback_url:
            target = callback_target_get_or_create(merchant_id=event.merchant_id, url=event.callback_url)
            if target.status == ENABLED:
                targets.append(target)
        WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(event=event, endpoint=target, next_attempt_at=now) for target in targets],
            ignore_conflicts=True,
        )
        if event.dispatched_at is None:
            event.dispatched_at = now
            event.save(update_fields=["dispatched_at"])
        due = list(
            WebhookDelivery.objects.filter(
                event=event, state=PENDING, next_attempt_at__lte=now, claimed_at__isnull=True
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue(due))
    return due


# --- one attempt: claim → POST → record -------------------------------------------------
@dataclass(frozen=True)
class Claim:
    delivery_id: int
    webhook_id: str
    attempt_number: int
    endpoint: WebhookEndpoint
    event: Event


def retry_delay(attempt_number: int) -> float | None:
    """Seconds to wait after failed attempt `attempt_number`, or None to give up."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    if attempt_number > len(schedule):
        return None
    jitter = settings.WEBHOOK_RETRY_JITTER
    # Jitter spreads the retries of an outage's backlog so a recovering receiver is not
    # hit by all of them in the same second.
    return max(0.0, schedule[attempt_number - 1] * random.uniform(1 - jitter, 1 + jitter))


def delivery_claim(*, delivery_id: int) -> Claim | None:
    """Takes the next attempt of a due delivery, or returns None (not due, done, or
    another worker won). The compare-and-set also moves `next_attempt_at` a lease ahead:
    if this worker dies before recording, the delivery is due again when the lease ends."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_related("endpoint", "event__merchant").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != PENDING or delivery.next_attempt_at is None:
        return None
    if delivery.next_attempt_at > now:
        return None
    if delivery.endpoint.status != ENABLED:
        _delivery_abandon(delivery_id=delivery.pk, reason=f"The endpoint is {delivery.endpoint.status}.")
        return None
    number = delivery.attempt_count + 1
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, state=PENDING, attempt_count=delivery.attempt_count, next_attempt_at__lte=now
    ).update(
        attempt_count=number,
        claimed_at=now,
        next_attempt_at=now + timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS),
        updated_at=now,
    )
    if claimed != 1:
        return None
    return Claim(delivery.pk, delivery.public_id, number, delivery.endpoint, delivery.event)


def _signed_post(*, endpoint: WebhookEndpoint, webhook_id: str, payload: dict) -> HttpResult:
    secrets = signing_secrets(endpoint)
    if not secrets:
        return HttpResult(None, 0, error="No signing secret; nothing was sent.")
    body = payload_body(payload)
    headers = signed_headers(webhook_id=webhook_id, timestamp=timezone.now(), body=body, secrets=secrets)
    if request_id := current_request_id():
        headers[REQUEST_ID_HEADER] = request_id
    return post_json(endpoint.url, body.encode(), headers)


def delivery_send(claim: Claim) -> HttpResult:
    """The network call. Runs outside any transaction."""
    return _signed_post(endpoint=claim.endpoint, webhook_id=claim.webhook_id, payload=event_payload(claim.event))


def _failure_text(result: HttpResult, *, only_200: bool) -> str:
    if result.status_code is None:
        return result.error or "No response."
    if only_200 and 200 <= result.status_code < 300:
        return f"Callbacks must be acknowledged with 200, got {result.status_code}."
    return result.error or f"HTTP {result.status_code}."


def delivery_record(*, claim: Claim, result: HttpResult) -> str:
    """Logs the attempt and moves the delivery on: succeeded, retry later, or failed.
    410 Gone disables the endpoint at once; an endpoint failing for
    WEBHOOK_DISABLE_AFTER_DAYS is disabled too. Locks the delivery, then the endpoint.
    Returns the outcome: succeeded, retrying, failed, or superseded (our lease ran out
    and a later attempt owns the delivery; only the log line is written)."""
    only_200 = claim.endpoint.accepts_only_200
    ok = result.succeeded(only_200=only_200)
    error = "" if ok else _failure_text(result, only_200=only_200)
    with transaction.atomic():
        delivery = lock_delivery(delivery_id=claim.delivery_id)
        if delivery is None:
            return "superseded"
        now = timezone.now()
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=claim.attempt_number,
            succeeded=ok,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            response_excerpt=result.response_excerpt[: WebhookAttempt.EXCERPT_CHARS],
            error=error[:500],
        )
        if delivery.state != PENDING or delivery.attempt_count != claim.attempt_number:
            return "superseded"
        delivery.claimed_at = None
        delivery.last_attempt_at = now
        delivery.last_status_code = result.status_code
        delay = None
        if ok:
            delivery.succeed()
        elif result.status_code == 410:
            delivery.give_up(reason="The endpoint answered 410 Gone and was disabled.")
        elif not result.permanent and (delay := retry_delay(claim.attempt_number)) is not None:
            delivery.retry_at(now + timedelta(seconds=delay))
        else:
            delivery.give_up(reason=f"Gave up after {claim.attempt_number} attempt(s): {error}")
        delivery.save()
        _endpoint_health(endpoint_pk=claim.endpoint.pk, ok=ok, status_code=result.status_code, now=now)
        if delay is not None and delay <= settings.WEBHOOK_MAX_COUNTDOWN_SECONDS:
            transaction.on_commit(lambda: _enqueue([claim.delivery_id], countdown=delay))
    if ok:
        return "succeeded"
    return "retrying" if delay is not None else "failed"


def _endpoint_health(*, endpoint_pk: int, ok: bool, status_code: int | None, now) -> None:
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_pk)
    if ok:
        endpoints.filter(failing_since__isnull=False).update(failing_since=None)
        return
    endpoints.filter(failing_since__isnull=True).update(failing_since=now)
    if status_code == 410:
        endpoint_disable(endpoint_pk=endpoint_pk, reason="The endpoint answered 410 Gone.")
        return
    days = settings.WEBHOOK_DISABLE_AFTER_DAYS
    if endpoints.filter(status=ENABLED, failing_since__lte=now - timedelta(days=days)).exists():
        endpoint_disable(endpoint_pk=endpoint_pk, reason=f"Every delivery failed for {days} days.")


def _delivery_abandon(*, delivery_id: int, reason: str) -> None:
    with transaction.atomic():
        delivery = lock_delivery(delivery_id=delivery_id)
        if delivery is not None and delivery.state == PENDING:
            delivery.give_up(reason=reason)
            delivery.claimed_at = None
            delivery.save()


def delivery_attempt(*, delivery_id: int) -> str:
    """Claim → POST → record one attempt; safe to call twice or concurrently (only one
    caller wins the claim). Must not run inside a transaction."""
    claim = delivery_claim(delivery_id=delivery_id)
    if claim is None:
        return "skipped"
    # Under the id of the request that caused the event, not the sweeper's or a retry's:
    # the receiver's X-Request-ID and our log lines then name the same request.
    with bound_request_id(claim.event.request_id):
        outcome = delivery_record(claim=claim, result=delivery_send(claim))
        logger.info("Webhook %s attempt %s: %s.", claim.webhook_id, claim.attempt_number, outcome)
    metrics.count(metrics.WEBHOOK_DELIVERIES, result=outcome)
    return outcome


# --- recovery ---------------------------------------------------------------------------
def webhooks_sweep(*, limit: int = 500) -> dict:
    """Dispatches events nobody fanned out and re-queues due deliveries nobody picked up:
    the process died between commit and enqueue, a task was lost, or a worker died
    holding a claim (its lease ran out). Waits WEBHOOK_SWEEP_GRACE_SECONDS past the due
    time first, so it rarely races the normal path; when it does, the claim decides."""
    now = timezone.now()
    horizon = now - timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS)
    events = list(
        Event.objects.filter(
            dispatched_at__isnull=True, created_at__lte=horizon, created_at__gte=now - SWEEP_EVENT_WINDOW
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in events:
        event_dispatch(event_id=event_id)
    due = list(
        WebhookDelivery.objects.filter(state=PENDING, next_attempt_at__lte=horizon)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    _enqueue(due)
    if events or due:
        logger.info("Webhook sweep: dispatched %s event(s), re-queued %s delivery(ies).", len(events), len(due))
    return {"dispatched": len(events), "requeued": len(due)}


def delivery_retry_now(*, delivery_id: int) -> bool:
    """Makes a delivery due now (a failed or succeeded one goes back to pending, keeping
    its webhook-id). Returns False while an attempt is in flight."""
    with transaction.atomic():
        delivery = lock_delivery(delivery_id=delivery_id)
        if delivery is None:
            raise NotFound("No such delivery.")
        now = timezone.now()
        if delivery.state == PENDING:
            if delivery.claimed_at is not None and delivery.next_attempt_at and delivery.next_attempt_at > now:
                return False
            delivery.retry_at(now)
        else:
            delivery.requeue(now)
        delivery.claimed_at = None
        delivery.save()
        transaction.on_commit(lambda: _enqueue([delivery_id]))
    return True


def event_replay(*, event_id: int) -> int:
    """Sends the event again to every target: creates deliveries the fan-out missed and
    re-queues the existing ones (same webhook-ids). Returns how many were queued."""
    event_dispatch(event_id=event_id, force=True)
    queued = 0
    for delivery_id in WebhookDelivery.objects.filter(event_id=event_id).values_list("pk", flat=True):
        queued += delivery_retry_now(delivery_id=delivery_id)
    return queued


# --- the test button --------------------------------------------------------------------
def endpoint_test_send(*, merchant_id: int, endpoint_id: str | None = None) -> dict:
    """Sends a signed `webhook.test` event to the endpoint now, once, and reports how it
    went. Nothing is stored; disabled endpoints may be tested before re-enabling them.
    Without `endpoint_id`, the merchant's only endpoint (400 when it has none or several)."""
    endpoint = endpoint_for_test(merchant_id=merchant_id, endpoint_id=endpoint_id)
    event_id, webhook_id = new_public_id("evt"), new_public_id("msg")
    payload = {
        "id": event_id,
        "object": "event",
        "type": TEST_EVENT_TYPE,
        "created": iso_datetime(timezone.now()),
        "merchant": endpoint.merchant.public_id,
        "checkout_id": None,
        "payment_intent_id": None,
        "correlation_id": None,
        "data": {"before": None, "after": {"endpoint_id": endpoint.public_id}},
    }
    result = _signed_post(endpoint=endpoint, webhook_id=webhook_id, payload=payload)
    ok = result.succeeded(only_200=endpoint.accepts_only_200)
    return {
        "object": "webhook_test",
        "endpoint_id": endpoint.public_id,
        "event_id": event_id,
        "webhook_id": webhook_id,
        "url": endpoint.url,
        "outcome": "succeeded" if ok else "failed",
        "status_code": result.status_code,
        "latency_ms": result.latency_ms,
        "response_excerpt": result.response_excerpt,
        "error": "" if ok else _failure_text(result, only_200=endpoint.accepts_only_200),
    }
