"""Events past the retention period are deleted by a beat job; the audit trail stays."""

from datetime import timedelta

import pytest
from django.utils import timezone

from merchants.audit.models import AuditEntry
from merchants.audit.services import audit_record
from merchants.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from merchants.retention import events_prune
from merchants.tasks import prune_events

pytestmark = pytest.mark.django_db


def _event(merchant, *, days_old, dispatched=True):
    event = Event.objects.create(merchant=merchant, type="payment.succeeded", data={"n": days_old})
    moment = timezone.now() - timedelta(days=days_old)
    Event.objects.filter(pk=event.pk).update(created_at=moment, dispatched_at=moment if dispatched else None)
    return event


def test_old_events_and_their_delivery_logs_go_the_rest_stay(merchant, settings):
    settings.EVENTS_RETENTION_DAYS = 30
    endpoint = WebhookEndpoint.objects.create(merchant=merchant, url="https://shop.example/h", events=["*"])
    old = _event(merchant, days_old=31)
    delivered = WebhookDelivery.objects.create(event=old, endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivered.pk).update(state="succeeded")
    WebhookAttempt.objects.create(delivery=delivered, number=1, succeeded=True, status_code=200)
    recent = _event(merchant, days_old=29)
    still_pending = _event(merchant, days_old=40)
    WebhookDelivery.objects.create(event=still_pending, endpoint=endpoint)
    never_dispatched = _event(merchant, days_old=40, dispatched=False)
    audit_record(merchant_id=merchant.pk, object_type="settings", object_id="x", action="settings.updated", actor="a")
    audited = AuditEntry.objects.count()

    assert prune_events() == 1
    assert set(Event.objects.values_list("pk", flat=True)) == {recent.pk, still_pending.pk, never_dispatched.pk}
    assert not WebhookDelivery.objects.filter(pk=delivered.pk).exists() and not WebhookAttempt.objects.exists()
    assert AuditEntry.objects.count() == audited, "the audit trail is kept"
    assert prune_events() == 0


def test_pruning_works_in_bounded_batches(merchant, settings):
    settings.EVENTS_RETENTION_DAYS = 1
    for _ in range(5):
        _event(merchant, days_old=3)
    assert events_prune(batch_size=2, max_batches=2) == 4
    assert events_prune(batch_size=2, max_batches=2) == 1
    assert Event.objects.count() == 0
