import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from checkout.models import CheckoutSession, SessionEvent
from checkout.services.sessions import sessions_expire_due
from checkout.tasks import expire_sessions
from config.celery import app as celery_app
from core.beat_schedule import register_schedule, unregister_schedule
from merchants.models import Event
from tests.checkout.pricing_helpers import transition, url

pytestmark = pytest.mark.django_db

beat_migration = importlib.import_module("checkout.migrations.0003_beat_schedule")
SCHEDULED = {
    "checkout.expire_sessions": IntervalSchedule.MINUTES,
    "core.prune_idempotency_keys": IntervalSchedule.HOURS,
}


def _new_session(api, cart):
    return api.post("/v1/checkout/sessions", cart, format="json").json()["checkout_id"]


def _make_due(*checkout_ids):
    CheckoutSession.objects.filter(public_id__in=checkout_ids).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_due_sessions_expire_with_timeline_and_event(api, cart):
    created, collecting, fresh = (_new_session(api, cart) for _ in range(3))
    api.patch(url(collecting), {"owner": "o2"}, format="json")
    _make_due(created, collecting)
    fresh_before = CheckoutSession.objects.get(public_id=fresh)

    assert sessions_expire_due() == 2

    for checkout_id, was in ((created, "created"), (collecting, "collecting")):
        session = CheckoutSession.objects.get(public_id=checkout_id)
        assert session.status == "expired" and session.status_reason
        last = SessionEvent.objects.filter(session=session).last()
        assert (last.type, last.from_status, last.to_status, last.actor) == (
            "status.expired", was, "expired", "system:expiry",
        )  # fmt: skip
        event = Event.objects.get(type="checkout.expired", checkout_id=checkout_id)
        assert event.data["before"]["status"] == was and event.data["after"]["status"] == "expired"
    fresh_after = CheckoutSession.objects.get(public_id=fresh)
    assert (fresh_after.status, fresh_after.version) == (fresh_before.status, fresh_before.version)
    assert not Event.objects.filter(type="checkout.expired", checkout_id=fresh).exists()
    # Safe to run twice: nothing is due any more.
    assert sessions_expire_due() == 0
    assert Event.objects.filter(type="checkout.expired").count() == 2


def test_expired_session_refuses_changes(api, session):
    _make_due(session["checkout_id"])
    sessions_expire_due()
    assert api.post(url(session["checkout_id"], "calculate"), {}, format="json").status_code == 409


def test_payment_in_progress_is_left_to_the_payment_job(api, session):
    transition(session["checkout_id"], "start_payment")
    _make_due(session["checkout_id"])
    assert sessions_expire_due() == 0
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).status == "payment_processing"


def test_task_runs_the_service(api, session):
    _make_due(session["checkout_id"])
    assert expire_sessions.apply().get() == 1
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).status == "expired"


def test_migrate_registered_the_periodic_tasks():
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscover the tasks
    for name, period in SCHEDULED.items():
        task = PeriodicTask.objects.select_related("interval").get(name=name)
        assert task.task == name and task.enabled
        assert (task.interval.every, task.interval.period) == (1, period)
        assert name in celery_app.tasks  # the schedule names a task a worker can run


def test_beat_migration_is_idempotent_and_reversible():
    unregister_schedule(apps, beat_migration.SCHEDULE)
    assert not PeriodicTask.objects.filter(name__in=SCHEDULED).exists()
    register_schedule(apps, beat_migration.SCHEDULE)
    register_schedule(apps, beat_migration.SCHEDULE)
    assert PeriodicTask.objects.filter(name__in=SCHEDULED).count() == 2
    assert IntervalSchedule.objects.filter(every=1, period=IntervalSchedule.MINUTES).count() == 1
