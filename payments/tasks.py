"""Celery tasks: thin wrappers that take ids and call one service each."""

import requests
from celery import shared_task

from payments.services import maintenance, webhooks
from payments.simulator import processor

# Worth retrying: the service or the network may be back in a moment.
TRANSIENT = (ConnectionError, TimeoutError, requests.RequestException)


@shared_task(
    name="payments.process_gateway_event",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=5,
)
def process_gateway_event(event_pk: int) -> str:
    # Every failure is retried a few times (a lock timeout, a deploy); what still fails
    # stays `failed` in the admin, which can reprocess it.
    return webhooks.gateway_event_process(event_pk=event_pk)


@shared_task(name="payments.expire_due", acks_late=True)
def expire_due() -> int:
    return maintenance.payments_expire_due()


@shared_task(name="payments.settle_open", acks_late=True)
def settle_open() -> int:
    return maintenance.payments_settle_open()


@shared_task(
    name="payments.simulator_deliver",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=8,
)
def simulator_deliver(delivery_id: int) -> None:
    processor.delivery_send(delivery_id=delivery_id)
