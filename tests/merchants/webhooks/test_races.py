"""Concurrency with real threads against PostgreSQL: the claim and the fan-out."""

import threading

import pytest
from django.db import connection

from merchants.webhook_delivery import delivery_attempt, event_dispatch
from merchants.webhooks.models import WebhookDelivery

from .conftest import accept_all, emit, make_endpoint

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 6


def run_together(target, *args):
    results, barrier = [], threading.Barrier(THREADS)

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target(*args))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_concurrent_workers_send_a_delivery_once(merchant, receiver):
    accept_all(receiver)
    make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)  # its on-commit hand-over runs eagerly and delivers it...
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.state == "succeeded"
    receiver.clear()
    accept_all(receiver)
    # ...so make it due again and let six workers race for it.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="pending", next_attempt_at=delivery.created_at)

    outcomes = run_together(lambda: delivery_attempt(delivery_id=delivery.pk))

    assert sorted(outcomes) == ["skipped"] * (THREADS - 1) + ["succeeded"]
    assert len(receiver.log) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempt_count == 2


def test_concurrent_dispatch_creates_one_delivery_per_endpoint(merchant):
    make_endpoint(merchant, "http://127.0.0.1:9/a", events=["payment.*"])
    make_endpoint(merchant, "http://127.0.0.1:9/b", events=["*"])
    event = emit(merchant, callback_url="http://127.0.0.1:9/cb")
    WebhookDelivery.objects.filter(event=event).delete()

    run_together(lambda: event_dispatch(event_id=event.pk, force=True))

    assert WebhookDelivery.objects.filter(event=event).count() == 3
