"""Inbound gateway messages: verify, store once, process after commit.

The signature and timestamp are checked before anything is written (a bad or stale one
is a 400 and leaves no trace). Each event is stored under the gateway's unique event id,
so a redelivery is recognised and changes nothing. Processing happens in a Celery task;
the event is marked processed only once its handler's transaction has committed.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import DomainError
from payments.exceptions import WebhookSignatureInvalid
from payments.gateways import gateway_for_signature, gateway_named
from payments.locks import lock_payment_by_pk
from payments.models import GatewayEvent, PaymentAttempt, PaymentTransaction
from payments.selectors import payment_queryset
from payments.services.disputes import payment_dispute_apply
from payments.services.log import payment_log
from payments.services.outcomes import outcome_apply
from payments.services.refunds import payment_refund_update

logger = logging.getLogger(__name__)


def gateway_event_receive(*, body: bytes, headers, process_later: bool = True) -> tuple[GatewayEvent, bool]:
    """Verifies and stores one inbound event; returns (event, created).

    Raises WebhookSignatureInvalid (400) for a missing, wrong or stale signature. A new
    event is queued for processing on commit; a duplicate is returned as it is.
    """
    gateway = gateway_for_signature(headers)
    if gateway is None:
        raise WebhookSignatureInvalid("No gateway signature header is present.")
    payload = gateway.verify_webhook(body=body, headers=headers)
    notice = gateway.notice_from_payload(payload)
    try:
        with transaction.atomic():
            event = GatewayEvent.objects.create(
                gateway=gateway.name,
                event_id=notice.event_id,
                type=notice.type,
                reference=notice.reference,
                payload=payload,
            )
            if process_later:
                # robust: a failing run stays stored and is retried; the sender still hears 200.
                transaction.on_commit(lambda: _queue_processing(event.pk), robust=True)
        return event, True
    except IntegrityError:
        return GatewayEvent.objects.get(gateway=gateway.name, event_id=notice.event_id), False


def _queue_processing(event_pk: int) -> None:
    from payments.tasks import process_gateway_event

    process_gateway_event.delay(event_pk)


def _find(notice) -> tuple[PaymentTransaction | None, PaymentAttempt | None]:
    attempts = PaymentAttempt.objects.select_related("transaction")
    attempt = None
    if notice.attempt:
        attempt = attempts.filter(public_id=notice.attempt).first()
    if attempt is None and notice.reference:
        attempt = attempts.filter(gateway_reference=notice.reference).order_by("-id").first()
    if attempt is not None:
        return attempt.transaction, attempt
    payment = (
        PaymentTransaction.objects.filter(public_id=notice.payment_intent).first() if notice.payment_intent else None
    )
    if payment is not None:
        return payment, payment.attempts.order_by("-number").first()
    return None, None


def gateway_event_process(*, event_pk: int) -> str:
    """Applies a stored event to its payment (locking it), then marks it processed.

    Safe to run twice: a processed event is skipped, and applying an outcome the payment
    already has changes nothing. Returns the event's final status.
    """
    event = GatewayEvent.objects.filter(pk=event_pk).first()
    if event is None or event.status == GatewayEvent.Status.PROCESSED:
        return event.status if event else "missing"
    notice = gateway_named(event.gateway).notice_from_payload(event.payload)
    try:
        with transaction.atomic():
            settled_pk = _handle(notice, gateway=event.gateway)
    except Exception as exc:
        GatewayEvent.objects.filter(pk=event_pk).exclude(status=GatewayEvent.Status.PROCESSED).update(
            status=GatewayEvent.Status.FAILED,
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    # Only now, with the handler's transaction committed, is the event done.
    GatewayEvent.objects.filter(pk=event_pk).exclude(status=GatewayEvent.Status.PROCESSED).update(
        status=GatewayEvent.Status.PROCESSED, attempts=F("attempts") + 1, processed_at=timezone.now(), last_error=""
    )
    if settled_pk is not None:
        _split_carry_on(settled_pk, gateway=event.gateway)
    return GatewayEvent.Status.PROCESSED


def _split_carry_on(payment_pk: int, *, gateway: str) -> None:
    """A card part of a split payment settled by the gateway's event (3-D Secure finished
    with the shopper gone, an asynchronous authorization): the split carries on now, not on
    the janitor's next run. Outside any transaction: the next card part calls the gateway."""
    from payments.wallet.split import split_payment_advance

    try:
        split_payment_advance(payment_queryset().get(pk=payment_pk), actor=f"gateway:{gateway}")
    except DomainError as exc:
        logger.warning("split payment not carried on after an event on payment %s: %s", payment_pk, exc.code)


def _handle(notice, *, gateway: str) -> int | None:
    """Applies the event; returns the payment's key when it carried an outcome."""
    if notice.result is None and notice.dispute is None and notice.refund is None:
        return None  # an event about something we do not track (a charge, a payout)
    payment, attempt = _find(notice)
    if payment is None or attempt is None:
        logger.info("%s event %s names no payment of ours", gateway, notice.event_id)
        return None
    payment = lock_payment_by_pk(payment.pk)
    # Re-read rather than refresh_from_db (see confirm._reread).
    attempt = type(attempt).objects.get(pk=attempt.pk)
    actor = f"gateway:{gateway}"
    payment_log(
        payment,
        type="webhook.received",
        actor=actor,
        attempt=attempt,
        data={"event_id": notice.event_id, "type": notice.type},
    )
    if notice.dispute is not None:
        payment_dispute_apply(payment, notice.dispute, gateway=gateway, event_id=notice.event_id, actor=actor)
        return None
    if notice.refund is not None:
        payment_refund_update(payment, notice.refund, actor=actor)
        return None
    outcome_apply(payment, attempt, notice.result, actor=actor, source=f"webhook:{notice.type}")
    return payment.pk


def gateway_event_reprocess(*, event_pk: int) -> str:
    """Staff's retry of a failed (or any unprocessed) event, run at once."""
    return gateway_event_process(event_pk=event_pk)


def three_ds_callback_receive(*, body: bytes, headers) -> GatewayEvent:
    """The gateway's signed 3-D Secure result: stored like any event, applied at once."""
    event, _ = gateway_event_receive(body=body, headers=headers, process_later=False)
    gateway_event_process(event_pk=event.pk)
    event.refresh_from_db()
    return event
