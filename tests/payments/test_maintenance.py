"""Beat jobs: expiring stuck 3-D Secure and lapsed authorizations (voiding at the gateway),
and the schedule that runs them."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from checkout.models import CheckoutSession
from core.beat_schedule import register_schedule, unregister_schedule
from merchants.models import Event
from payments.exceptions import GatewayUnavailable
from payments.gateways.simulator import SimulatorGateway
from payments.models import PaymentTransaction
from payments.services.maintenance import payments_expire_due, payments_settle_open
from payments.simulator.models import SimulatorCharge
from payments.tasks import expire_due, settle_open
from tests.payments.helpers import SUCCESS, THREE_DS, confirm, intent_url, ok, paid_intent

pytestmark = pytest.mark.django_db


def _age(intent_id, **fields):
    PaymentTransaction.objects.filter(public_id=intent_id).update(**fields)


def test_requires_action_past_the_timeout_expires_and_is_voided(api):
    _, intent = paid_intent(api, THREE_DS)
    assert ok(confirm(api, intent["id"]))["status"] == "requires_action"
    assert payments_expire_due() == 0  # not due yet
    _age(intent["id"], action_expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_due.delay().get() == 1
    body = ok(api.get(intent_url(intent["id"])))
    assert body["status"] == "expired" and body["next_action"] is None
    assert SimulatorCharge.objects.get().status == "canceled"
    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert not payment.release_pending and payment.attempts.get().status == "canceled"
    assert Event.objects.filter(type="payment.canceled", payment_intent_id=intent["id"]).count() == 1
    # Completing 3-D Secure now changes nothing.
    assert ok(api.post(intent_url(intent["id"], "3ds/complete"), {}, format="json"))["status"] == "expired"


def test_a_lapsed_three_d_secure_payment_fails_its_session_as_expired(api, django_capture_on_commit_callbacks):
    session, intent = paid_intent(api, THREE_DS)
    assert ok(confirm(api, intent["id"]))["status"] == "requires_action"
    _age(intent["id"], action_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_due.delay().get() == 1
    assert ok(api.get(intent_url(intent["id"])))["status"] == "expired"
    checkout = CheckoutSession.objects.get(public_id=session["checkout_id"])
    assert (checkout.status, checkout.status_reason) == ("failed", "The payment expired.")


def test_authorization_past_its_validity_expires_and_is_voided(api, settings):
    _, intent = paid_intent(api, SUCCESS, capture_mode="manual")
    held = ok(confirm(api, intent["id"]))
    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert payment.authorization_expires_at - payment.authorized_at == timedelta(days=7)
    assert held["status"] == "requires_capture"
    _age(intent["id"], authorization_expires_at=timezone.now() - timedelta(seconds=1))
    assert payments_expire_due() == 1
    assert ok(api.get(intent_url(intent["id"])))["status"] == "expired"
    assert SimulatorCharge.objects.get().status == "canceled"
    capture = api.post(intent_url(intent["id"], "capture"), {}, format="json")
    assert capture.status_code == 409


def test_a_release_the_gateway_could_not_take_is_retried_by_the_janitor(api, monkeypatch):
    _, intent = paid_intent(api, SUCCESS, capture_mode="manual")
    ok(confirm(api, intent["id"]))
    _age(intent["id"], authorization_expires_at=timezone.now() - timedelta(seconds=1))

    def down(gateway, **kwargs):
        raise GatewayUnavailable()

    with monkeypatch.context() as patch:
        patch.setattr(SimulatorGateway, "void", down)
        assert payments_expire_due() == 1
    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert payment.state == "expired" and payment.release_pending
    assert SimulatorCharge.objects.get().status == "authorized"

    assert settle_open.delay().get() >= 1
    payment.refresh_from_db()
    assert not payment.release_pending and SimulatorCharge.objects.get().status == "canceled"


def test_pending_intents_are_left_alone(api):
    session, intent = paid_intent(api)
    assert payments_expire_due(now=timezone.now() + timedelta(days=30)) == 0
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "pending"


def test_the_beat_schedule_is_registered_and_reversible():
    names = {"payments.expire_due", "payments.settle_open"}
    assert set(PeriodicTask.objects.filter(name__in=names).values_list("task", flat=True)) == names
    migration = importlib.import_module("payments.migrations.0002_beat_schedule")
    unregister_schedule(apps, migration.SCHEDULE)
    assert not PeriodicTask.objects.filter(name__in=names).exists()
    register_schedule(apps, migration.SCHEDULE)
    register_schedule(apps, migration.SCHEDULE)  # a re-run adds nothing
    assert PeriodicTask.objects.filter(name__in=names).count() == 2


def test_janitor_with_nothing_open_does_nothing(api):
    session, intent = paid_intent(api)
    ok(confirm(api, intent["id"]))
    assert payments_settle_open() == 0


def test_the_janitor_finishes_a_refund_whose_process_died_after_claiming_it(api):
    _, intent = paid_intent(api, SUCCESS)
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    # The process claimed a refund (its key stored) and died before calling the gateway.
    _age(
        intent["id"], pending_operation="refund", pending_operation_key=f"{intent['id']}:refund:dead",
        pending_operation_amount=500, pending_operation_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip

    assert payments_settle_open() == 1
    payment = PaymentTransaction.objects.get(public_id=intent["id"])
    assert (payment.state, payment.amount_refunded, payment.pending_operation) == ("partially_refunded", 500, "")
    assert payments_settle_open() == 0, "done once: nothing left to resume"
