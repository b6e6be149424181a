"""The time-limit jobs: checkout.enforce_deadlines and checkout.finalize_paid.

Transactional, so what payments does after commit (the listener telling checkout that an
intent was canceled) runs as in production.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from checkout.locks import lock_session_pk
from checkout.models import CheckoutSession, Order, Reservation
from checkout.services.deadlines import RETRY_CLAIM_AFTER, sessions_enforce_deadlines, sessions_finalize_paid
from checkout.tasks import enforce_deadlines, finalize_paid
from merchants.models import Event
from payments.exceptions import GatewayUnavailable
from payments.gateways.simulator import SimulatorGateway
from payments.models import PaymentTransaction
from tests.checkout.finalize_helpers import pay, place, ready_session, session_url, set_merchant, status_of
from tests.checkout.inventory_helpers import load_stock
from tests.payments.conftest import CallCounter
from tests.payments.helpers import DIGITAL_CART, THREE_DS, V1, create_intent, ok

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def void_calls(monkeypatch):
    return CallCounter(monkeypatch, SimulatorGateway, "void")


def _past_deadline(checkout_id, **extra):
    past = timezone.now() - timedelta(seconds=1)
    CheckoutSession.objects.filter(public_id=checkout_id).update(payment_deadline_at=past, **extra)


def _approved(api, cart=None):
    set_merchant(api.merchant, approval_mode="merchant")
    checkout_id = ready_session(api, cart)["checkout_id"]
    ok(place(api, checkout_id))
    ok(api.post(session_url(checkout_id, "approve"), {}, format="json"))
    return checkout_id


def test_unanswered_approval_expires(api, void_calls):
    set_merchant(api.merchant, approval_mode="merchant")
    cart = {**DIGITAL_CART, "return_urls": {"callback_url": "http://127.0.0.1:9/cb"}}
    checkout_id = ready_session(api, cart)["checkout_id"]
    ok(place(api, checkout_id))
    assert sessions_enforce_deadlines() == 0  # not due yet
    _past_deadline(checkout_id)

    assert sessions_enforce_deadlines() == 1
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert (session.status, session.status_reason) == ("expired", "The merchant did not answer within the time limit.")
    event = Event.objects.get(type="checkout.expired", checkout_id=checkout_id)
    assert event.callback_url == "http://127.0.0.1:9/cb"
    assert void_calls.count == 0
    assert sessions_enforce_deadlines() == 0  # twice: nothing more


def test_authorization_at_the_deadline_is_voided_and_the_holds_released(api, void_calls):
    load_stock(api, {"EBOOK": 5})
    checkout_id = _approved(api)
    reservation_id = ok(api.post(session_url(checkout_id, "reserve"), {}, format="json"), 201)["reservation_id"]
    payment_id = pay(api, checkout_id, capture_mode="manual")["id"]
    _past_deadline(checkout_id)

    assert enforce_deadlines() == 1  # the Celery task, run eagerly
    assert void_calls.count == 1
    assert PaymentTransaction.objects.get(public_id=payment_id).state == "cancelled"
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert (session.status, session.closing_claimed_at) == ("expired", None)
    assert session.status_reason == "The payment was not completed within the time limit."
    assert Reservation.objects.get(public_id=reservation_id).status == "released"
    assert Event.objects.filter(type="checkout.expired", checkout_id=checkout_id).count() == 1
    types = list(session.timeline.values_list("type", flat=True))
    assert {"deadline.passed", "payment.canceled", "status.expired", "reservation.released"} <= set(types)
    assert "status.failed" not in types  # the listener left the closing to the job

    assert sessions_enforce_deadlines() == 0
    assert void_calls.count == 1


def test_a_captured_payment_is_finalized_not_expired(api, void_calls):
    checkout_id = _approved(api)
    pay(api, checkout_id)
    _past_deadline(checkout_id)
    assert sessions_enforce_deadlines() == 0
    assert status_of(checkout_id) == "completed"
    assert Order.objects.filter(session__public_id=checkout_id).count() == 1
    assert void_calls.count == 0


def test_an_unconfirmed_intent_is_canceled_without_a_gateway_call(api, void_calls):
    checkout_id = _approved(api)
    payment_id = create_intent(api, checkout_id)["id"]
    _past_deadline(checkout_id)
    assert sessions_enforce_deadlines() == 1
    assert PaymentTransaction.objects.get(public_id=payment_id).state == "cancelled"
    assert status_of(checkout_id) == "expired" and void_calls.count == 0


def test_a_payment_in_flight_is_left_to_finish(api):
    checkout_id = _approved(api)
    assert pay(api, checkout_id, THREE_DS)["status"] == "requires_action"
    _past_deadline(checkout_id)
    assert sessions_enforce_deadlines() == 0
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert (session.status, session.closing_claimed_at) == ("payment_processing", None)


def test_payment_processing_past_the_session_expiry(api):
    checkout_id = ready_session(api)["checkout_id"]
    payment_id = create_intent(api, checkout_id)["id"]
    CheckoutSession.objects.filter(public_id=checkout_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert sessions_enforce_deadlines() == 1
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert (session.status, session.status_reason) == ("expired", "The session passed its expiry time.")
    assert PaymentTransaction.objects.get(public_id=payment_id).state == "cancelled"


def test_a_void_without_an_answer_is_retried_with_the_same_key(api, monkeypatch):
    checkout_id = _approved(api)
    payment_id = pay(api, checkout_id, capture_mode="manual")["id"]
    _past_deadline(checkout_id)
    keys = []
    original = SimulatorGateway.void

    def lost(gateway, **kwargs):
        keys.append(kwargs["idempotency_key"])
        raise GatewayUnavailable()

    monkeypatch.setattr(SimulatorGateway, "void", lost)
    assert sessions_enforce_deadlines() == 0  # not closed until the money is back
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert session.status == "closing" and session.closing_intent_id == payment_id
    assert PaymentTransaction.objects.get(public_id=payment_id).state == "authorized"
    assert ok(api.post(f"{V1}/sessions/{checkout_id}/payment-intents", {}, format="json"), 409)

    monkeypatch.setattr(
        SimulatorGateway, "void", lambda gateway, **kw: keys.append(kw["idempotency_key"]) or original(gateway, **kw)
    )
    assert sessions_enforce_deadlines() == 0  # too soon to retry
    assert sessions_enforce_deadlines(now=timezone.now() + RETRY_CLAIM_AFTER + timedelta(seconds=1)) == 1
    assert PaymentTransaction.objects.get(public_id=payment_id).state == "cancelled"
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert (session.status, session.closing_claimed_at) == ("expired", None)
    assert len(keys) == 2 and keys[0] == keys[1]


def test_paid_but_never_finalized_gets_its_order_after_the_delay(api):
    checkout_id = ready_session(api)["checkout_id"]
    pay(api, checkout_id)
    assert sessions_finalize_paid() == 0  # the merchant's delay (120 s) has not passed
    assert status_of(checkout_id) == "payment_processing"

    later = timezone.now() + timedelta(seconds=121)
    assert sessions_finalize_paid(now=later) == 1
    assert status_of(checkout_id) == "completed"
    assert Order.objects.filter(session__public_id=checkout_id).count() == 1
    assert sessions_finalize_paid(now=later) == 0  # twice: the same order, nothing new
    assert Event.objects.filter(type="checkout.completed", checkout_id=checkout_id).count() == 1


def test_finalize_paid_honours_the_merchant_delay_and_manual_capture(api):
    set_merchant(api.merchant, extra_settings={"auto_finalize_after_seconds": 0})
    authorized = ready_session(api)["checkout_id"]
    pay(api, authorized, capture_mode="manual")
    waiting = ready_session(api)["checkout_id"]
    create_intent(api, waiting)
    assert finalize_paid() == 1  # the Celery task, run eagerly
    assert Order.objects.get(session__public_id=authorized).payment_status == "authorized"
    assert status_of(waiting) == "payment_processing"


def test_finalize_paid_skips_a_session_someone_holds(api):
    set_merchant(api.merchant, extra_settings={"auto_finalize_after_seconds": 0})
    checkout_id = ready_session(api)["checkout_id"]
    pay(api, checkout_id)
    session_pk = CheckoutSession.objects.get(public_id=checkout_id).pk
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                lock_session_pk(session_pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(30)
        assert sessions_finalize_paid() == 0  # skipped, not blocked
    finally:
        release.set()
        holder.join(30)
    assert sessions_finalize_paid() == 1


@pytest.mark.django_db(transaction=False)
def test_the_jobs_are_on_the_beat_schedule():
    names = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"checkout.enforce_deadlines", "checkout.finalize_paid"} <= names


def test_a_session_whose_payment_was_refunded_expires_instead_of_wedging_the_job(api):
    from payments.services import payment_intent_refund

    checkout_id = _approved(api)
    payment = pay(api, checkout_id)
    payment_intent_refund(merchant_id=api.merchant.pk, payment_intent_id=payment["id"], actor="staff:test")
    assert PaymentTransaction.objects.get(public_id=payment["id"]).state == "refunded"
    _past_deadline(checkout_id)

    assert sessions_enforce_deadlines() == 1
    assert status_of(checkout_id) == "expired"
    assert sessions_enforce_deadlines() == 0, "nothing is left for the next run to trip over"
