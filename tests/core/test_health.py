"""GET /health: every subsystem the API document lists, 503 as soon as one is not ok."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from core.beat import HeartbeatScheduler
from core.heartbeats import BEAT, WORKER, heartbeat_record
from core.models import Heartbeat
from merchants.models import Event, WebhookDelivery, WebhookEndpoint
from tests.celery_worker import wait_until

pytestmark = pytest.mark.django_db
HEALTH = "/v1/checkout/health"


def _age(name, **delta):
    Heartbeat.objects.filter(name=name).update(beat_at=timezone.now() - timedelta(**delta))


def test_every_subsystem_is_reported(anon_api, fresh_heartbeats):
    response = anon_api.get(HEALTH)
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
        "beat": "ok",
        "webhooks": "ok",
        "hosted_pages": "ok",
        "gateway.simulator": "ok",
        "gateway.stripe": "off",
    }


def test_a_stale_worker_heartbeat_turns_health_503(anon_api, fresh_heartbeats, settings):
    _age(WORKER, seconds=settings.HEALTH_HEARTBEAT_STALE_SECONDS["worker"] + 5)
    response = anon_api.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["status"] == "degraded" and response.json()["checks"]["worker"] == "stale"
    heartbeat_record(WORKER)
    assert anon_api.get(HEALTH).status_code == 200


def test_no_beat_tick_ever_is_missing(anon_api, fresh_heartbeats):
    Heartbeat.objects.filter(name=BEAT).delete()
    response = anon_api.get(HEALTH)
    assert response.status_code == 503 and response.json()["checks"]["beat"] == "missing"


def test_an_overdue_webhook_backlog_turns_health_503(anon_api, fresh_heartbeats, settings, merchant):
    settings.HEALTH_WEBHOOK_BACKLOG_MAX = 1
    endpoint = WebhookEndpoint.objects.create(merchant=merchant, url="https://shop.example/hooks", events=["*"])
    long_ago = timezone.now() - timedelta(seconds=settings.HEALTH_WEBHOOK_BACKLOG_SECONDS + 60)
    for _ in range(2):
        event = Event.objects.create(merchant=merchant, type="payment.succeeded", dispatched_at=long_ago)
        WebhookDelivery.objects.create(event=event, endpoint=endpoint, next_attempt_at=long_ago)
    response = anon_api.get(HEALTH)
    assert response.status_code == 503 and response.json()["checks"]["webhooks"] == "backlog"
    # Due a moment ago: a queue being worked off, not a backlog.
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert anon_api.get(HEALTH).json()["checks"]["webhooks"] == "ok"


def test_a_configured_gateway_that_cannot_be_reached_is_reported(anon_api, fresh_heartbeats, settings):
    settings.STRIPE_API_KEY = "sk_test_unreachable"
    settings.STRIPE_API_BASE = "http://127.0.0.1:1"  # nothing listens on port 1
    response = anon_api.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["checks"]["gateway.stripe"] == "GatewayUnavailable"


@pytest.mark.django_db(transaction=True)  # the scheduler closes stale connections, as beat does
def test_the_beat_scheduler_records_its_ticks():
    scheduler = HeartbeatScheduler(app=celery_app)
    try:
        scheduler.tick()
    finally:
        scheduler.close()
    assert timezone.now() - Heartbeat.objects.get(name=BEAT).beat_at < timedelta(seconds=30)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_its_heartbeat(celery_worker, anon_api):
    from core.tasks import heartbeat

    heartbeat.delay()
    beat = wait_until(lambda: Heartbeat.objects.filter(name=WORKER).first(), timeout=30)
    assert beat.detail["hostname"] and timezone.now() - beat.beat_at < timedelta(minutes=1)
    assert anon_api.get(HEALTH).json()["checks"]["worker"] == "ok"
