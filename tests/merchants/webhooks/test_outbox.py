"""The outbox's costs: rows in one INSERT, one fan-out task per committed transaction, no
task for an event nobody can receive. Transactional: on-commit is what is tested."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from merchants.events import event_emit, events_emit
from merchants.models import Event
from merchants.tasks import dispatch_events
from merchants.webhooks.models import WebhookDelivery
from tests.factories import merchant_with_keys

from .conftest import make_endpoint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch):
    """The id lists handed to the fan-out task, one entry per task."""
    calls = []
    monkeypatch.setattr(dispatch_events, "delay", lambda ids: calls.append(sorted(ids)))
    return calls


@pytest.fixture
def merchant():
    return merchant_with_keys("Outbox Shop").merchant


def spec(merchant, type="payment.succeeded"):
    return {"merchant_id": merchant.pk, "type": type, "data": {"n": 1}}


def test_events_of_one_transaction_are_one_insert_and_one_task(merchant, queued):
    make_endpoint(merchant, "http://127.0.0.1:9/hook")
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            rows = events_emit([spec(merchant), spec(merchant, "payment.failed")])
        single = event_emit(merchant_id=merchant.pk, type="checkout.completed", data={})
        assert queued == []  # nothing leaves before the commit
    inserts = [q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "merchants_event"')]
    assert len(inserts) == 1
    assert queued == [sorted([rows[0].pk, rows[1].pk, single.pk])]
    assert Event.objects.filter(merchant=merchant, dispatched_at__isnull=True).count() == 3


def test_a_rolled_back_savepoint_drops_its_events_and_keeps_the_others(merchant, queued):
    make_endpoint(merchant, "http://127.0.0.1:9/hook")
    with transaction.atomic():
        try:
            with transaction.atomic():
                lost = event_emit(merchant_id=merchant.pk, type="payment.failed", data={})
                raise RuntimeError("roll back the savepoint")
        except RuntimeError:
            pass
        kept = event_emit(merchant_id=merchant.pk, type="payment.succeeded", data={})
        later = event_emit(merchant_id=merchant.pk, type="checkout.completed", data={})
    assert queued == [sorted([kept.pk, later.pk])]
    assert not Event.objects.filter(pk=lost.pk).exists()


def test_a_rolled_back_transaction_queues_nothing(merchant, queued):
    make_endpoint(merchant, "http://127.0.0.1:9/hook")
    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit(merchant_id=merchant.pk, type="payment.succeeded", data={})
        raise RuntimeError("roll back")
    assert queued == [] and not Event.objects.filter(merchant=merchant).exists()


def test_nobody_listening_means_dispatched_at_once_until_an_endpoint_subscribes(merchant, queued):
    make_endpoint(merchant, "http://127.0.0.1:9/hook", events=["refund.*"])
    unheard = event_emit(merchant_id=merchant.pk, type="payment.succeeded", data={})
    assert queued == []
    unheard.refresh_from_db()
    assert unheard.dispatched_at is not None  # the sweeper leaves it alone, the API lists it

    make_endpoint(merchant, "http://127.0.0.1:9/other", events=["payment.*"])  # outdates the cached list
    heard = event_emit(merchant_id=merchant.pk, type="payment.succeeded", data={})
    assert queued == [[heard.pk]]


def test_a_callback_is_always_heard(merchant, queued):
    event = event_emit(
        merchant_id=merchant.pk, type="checkout.completed", data={}, callback_url="http://127.0.0.1:9/cb"
    )
    assert queued == [[event.pk]]


def test_the_task_fans_out_every_event_it_was_given(merchant):
    make_endpoint(merchant, "http://127.0.0.1:9/hook")
    with transaction.atomic():
        rows = events_emit([spec(merchant), spec(merchant, "payment.failed")])
    # Eager in tests: the one task ran on commit and fanned out both.
    assert WebhookDelivery.objects.filter(event__in=rows).count() == 2
    assert dispatch_events.run([rows[0].pk]) == 0  # already dispatched: safe to run twice
