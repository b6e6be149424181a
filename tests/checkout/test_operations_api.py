"""GET /diagnostics and GET /threads: the merchant's pipeline, read from the database and
the broker; another tenant's work never shows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import CheckoutSession, FinalizationJob
from merchants.models import Event, WebhookDelivery, WebhookEndpoint
from payments.models import GatewayEvent, PaymentAttempt
from tests.checkout.finalize_helpers import pay, ready_session
from tests.checkout.inventory_helpers import load_stock, new_session, reserve
from tests.payments.helpers import V1, ok

pytestmark = pytest.mark.django_db


def test_diagnostics_count_the_merchants_pipeline(api, other_api):
    load_stock(api, {"LAMP": 5})
    reserved = new_session(api, [("LAMP", 1)])
    ok(api.post(f"{V1}/sessions/{reserved}/calculate", {}, format="json"))
    assert reserve(api, reserved).status_code == 201
    paid = ready_session(api)["checkout_id"]
    pay(api, paid)
    endpoint = WebhookEndpoint.objects.create(merchant=api.merchant, url="https://shop.example/h", events=["*"])
    event = Event.objects.create(merchant=api.merchant, type="payment.succeeded")
    WebhookDelivery.objects.create(event=event, endpoint=endpoint, attempt_count=2)
    GatewayEvent.objects.create(gateway="simulator", event_id="evt_1", type="charge.succeeded", payload={})
    GatewayEvent.objects.filter(event_id="evt_1").update(received_at=timezone.now() - timedelta(minutes=5))

    body = ok(api.get(f"{V1}/diagnostics"))
    assert body["sessions_in_flight"] == {"reserved": 1, "payment_processing": 1}
    assert body["reservation_latency"]["count"] == 1 and body["reservation_latency"]["avg_ms"] >= 0
    assert body["payment_intent_latency"]["count"] == 1 and body["payment_intent_latency"]["avg_ms"] >= 0
    assert body["webhook_deliveries"] == {"pending": 1, "failing": 1, "failed": 0}
    assert body["oldest_unprocessed_gateway_event_seconds"] >= 300
    assert "celery" in body["queue_depth"] and isinstance(body["queue_depth"]["celery"], int)
    assert body["window_seconds"] == 3600

    theirs = ok(other_api.get(f"{V1}/diagnostics"))
    assert theirs["sessions_in_flight"] == {} and theirs["webhook_deliveries"]["pending"] == 0
    assert theirs["payment_intent_latency"] == {"count": 0, "avg_ms": None}


def test_threads_list_work_past_its_expected_time(api, other_api, settings):
    paid = ready_session(api)["checkout_id"]
    pay(api, paid)
    session = CheckoutSession.objects.get(public_id=paid)
    long_ago = timezone.now() - timedelta(seconds=settings.THREADS_EXPECTED_SECONDS + 60)
    slow = FinalizationJob.objects.create(merchant=api.merchant, session=session, actor="merchant:x")
    FinalizationJob.objects.filter(pk=slow.pk).update(status="running", started_at=long_ago)
    fresh = ready_session(api)["checkout_id"]
    FinalizationJob.objects.create(
        merchant=api.merchant, session=CheckoutSession.objects.get(public_id=fresh), actor="merchant:x"
    )
    attempt = PaymentAttempt.objects.get(transaction__reference=paid)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(status="processing", answered_at=None, claimed_at=long_ago)

    threads = ok(api.get(f"{V1}/threads"))["data"]
    assert {(t["kind"], t["id"]) for t in threads} == {
        ("finalization", slow.public_id),
        ("payment_attempt", attempt.public_id),
    }
    assert all(t["checkout_id"] == paid and t["running_seconds"] >= settings.THREADS_EXPECTED_SECONDS for t in threads)
    assert ok(other_api.get(f"{V1}/threads"))["data"] == []


def test_queue_depth_is_read_from_the_broker(api, settings):
    from kombu import Connection

    settings.CELERY_TASK_DEFAULT_QUEUE = "diagnostics-probe"
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    with Connection(settings.CELERY_BROKER_URL, transport_options=options) as conn:
        queue = conn.SimpleQueue("diagnostics-probe")
        try:
            queue.clear()
            for n in range(3):
                queue.put({"n": n})
            assert ok(api.get(f"{V1}/diagnostics"))["queue_depth"]["diagnostics-probe"] == 3
            queue.get(timeout=2).ack()
            assert ok(api.get(f"{V1}/diagnostics"))["queue_depth"]["diagnostics-probe"] == 2
        finally:
            queue.clear()
            queue.close()
