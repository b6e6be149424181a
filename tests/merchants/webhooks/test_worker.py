"""Retries and recovery with real Celery workers, real HTTP on loopback, real PostgreSQL.

Workers read their settings from the environment, so the retry schedule and the claim
lease are shrunk there (seconds instead of hours) before the worker starts.
"""

import threading

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Response

from merchants.events import event_emit
from merchants.models import Event
from merchants.tasks import sweep
from merchants.webhook_delivery import delivery_claim, webhooks_sweep
from merchants.webhooks.models import WebhookDelivery
from tests.celery_worker import start_worker, stop_worker, wait_until

from .conftest import accept_all, free_port, make_endpoint, verified

WORKER_ENV = {
    "WEBHOOK_RETRY_SCHEDULE_SECONDS": "0.3,0.5,0.5,1,1,1,1,1,1,1",
    "WEBHOOK_RETRY_JITTER": "0.2",
    "WEBHOOK_CLAIM_LEASE_SECONDS": "2",
    "WEBHOOK_SWEEP_GRACE_SECONDS": "0",
}

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(monkeypatch, request):
    for name, value in WORKER_ENV.items():
        monkeypatch.setenv(name, value)
    return request.getfixturevalue("celery_worker")


def emit_many(merchant, count):
    with transaction.atomic():
        return [
            event_emit(merchant_id=merchant.pk, type="payment.succeeded", data={"before": None, "after": {"n": n}})
            for n in range(count)
        ]


def test_receiver_down_then_up_every_event_arrives_none_under_two_ids(worker, merchant):
    port = free_port()
    endpoint, secret = make_endpoint(merchant, f"http://127.0.0.1:{port}/hook")
    events = emit_many(merchant, 5)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    # Down: connection refused, each delivery fails and is rescheduled.
    wait_until(lambda: deliveries.filter(attempt_count__gte=2).count() == 5, timeout=30)
    assert not deliveries.filter(state="succeeded").exists()

    server = HTTPServer(host="127.0.0.1", port=port)
    accept_all(server)
    server.start()
    try:
        wait_until(lambda: deliveries.filter(state="succeeded").count() == 5, timeout=60)
        received = [(request.headers["webhook-id"], verified(request, secret)["id"]) for request, _ in server.log]
    finally:
        server.clear()
        server.stop()

    assert {event_id for _, event_id in received} == {e.public_id for e in events}
    ids_per_event = {}
    for webhook_id, event_id in received:
        ids_per_event.setdefault(event_id, set()).add(webhook_id)
    assert all(len(ids) == 1 for ids in ids_per_event.values())
    assert {webhook_id for webhook_id, _ in received} == set(deliveries.values_list("public_id", flat=True))
    for delivery in deliveries:
        numbers = list(delivery.attempts.values_list("number", flat=True))
        assert numbers == list(range(1, delivery.attempt_count + 1))
        assert delivery.attempts.filter(succeeded=True).count() == 1


@override_settings(WEBHOOK_CLAIM_LEASE_SECONDS=2, WEBHOOK_SWEEP_GRACE_SECONDS=0)
def test_claimed_but_never_recorded_is_redelivered_by_the_sweeper_with_the_same_id(worker, merchant, receiver):
    accept_all(receiver)
    endpoint, secret = make_endpoint(merchant, receiver.url_for("/hook"))
    # Written without the on-commit hand-over, so this test is the worker that claims it.
    event = Event.objects.create(
        merchant=merchant, type="payment.succeeded", data={"before": None, "after": {}}, dispatched_at=timezone.now()
    )
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, next_attempt_at=timezone.now())
    claim = delivery_claim(delivery_id=delivery.pk)  # ...and dies before sending or recording
    assert claim is not None
    assert webhooks_sweep()["requeued"] == 0  # the lease still holds

    wait_until(lambda: timezone.now() > WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at, timeout=5)
    sweep.delay()  # what beat runs every 30 s
    wait_until(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == "succeeded", timeout=30)

    ((request, _),) = receiver.log
    assert request.headers["webhook-id"] == claim.webhook_id == delivery.public_id
    assert verified(request, secret)["id"] == event.public_id
    assert list(WebhookDelivery.objects.get(pk=delivery.pk).attempts.values_list("number", flat=True)) == [2]


def test_worker_killed_mid_request_is_redelivered_with_the_same_id(worker, merchant, receiver, tmp_path):
    """A real SIGKILL while the POST is in flight: a new worker sends it again after the
    claim lease, under the same webhook-id, and the receiver can deduplicate."""
    entered, release = threading.Event(), threading.Event()

    def handler(request):
        if not entered.is_set():
            entered.set()
            release.wait(timeout=10)  # the first request hangs until the worker is dead
        return Response("ok")

    receiver.expect_request("/hook").respond_with_handler(handler)
    endpoint, secret = make_endpoint(merchant, receiver.url_for("/hook"))
    (event,) = emit_many(merchant, 1)
    assert entered.wait(timeout=30), worker.log_file.read_text()
    worker.kill()
    worker.wait(timeout=10)
    release.set()

    second = start_worker(worker.queue, tmp_path / "worker2.log")
    try:
        delivery = WebhookDelivery.objects.get(event=event)
        assert delivery.state == "pending" and delivery.claimed_at is not None
        wait_until(lambda: timezone.now() > WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at, timeout=10)
        sweep.delay()
        wait_until(lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == "succeeded", timeout=30)
    finally:
        stop_worker(second)

    ids = [request.headers["webhook-id"] for request, _ in receiver.log]
    assert ids == [delivery.public_id, delivery.public_id]
    assert all(verified(request, secret)["id"] == event.public_id for request, _ in receiver.log)
    assert list(WebhookDelivery.objects.get(pk=delivery.pk).attempts.values_list("number", flat=True)) == [2]
