"""A session being closed (deadline, rollback, failed finalization) must never take a new
payment: threads against PostgreSQL, with an ordering hook that runs the shopper's
create-and-confirm at the worst moment, right after the money was given back and before
the session is closed.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from checkout.models import CheckoutSession, Order
from checkout.services.deadlines import sessions_enforce_deadlines
from payments.models import PaymentTransaction
from payments.services import operations
from tests.checkout.finalize_helpers import paid_session, pay, place, ready_session, session_url, set_merchant
from tests.conftest import MerchantClient
from tests.payments.helpers import SUCCESS, attach, confirm, ok, tokenize

pytestmark = pytest.mark.django_db(transaction=True)
JOIN_TIMEOUT = 60
HELD = ("authorized", "completed", "partially_refunded")


def _shopper_pays_again(api, checkout_id, payment_method_id, answers):
    """In its own thread and connection: create a fresh intent and confirm it."""

    def run():
        client = MerchantClient(api.secrets)
        try:
            created = client.post(session_url(checkout_id, "payment-intents"), {}, format="json")
            answers.append(("create", created.status_code, created.json()))
            if created.status_code == 201:
                intent_id = created.json()["id"]
                answers.append(("attach", attach(client, intent_id, payment_method_id).status_code, None))
                confirmed = confirm(client, intent_id)
                answers.append(("confirm", confirmed.status_code, confirmed.json()))
        except Exception as exc:  # reported by the assertions
            answers.append(("error", exc, None))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(JOIN_TIMEOUT)
    assert not thread.is_alive(), "the shopper's thread did not finish in time"


@pytest.fixture
def after_give_back(monkeypatch):
    """Runs `hook()` once, right after the first gateway answer to a void or refund is
    recorded (committed), before whoever gave the money back closes the session."""
    hooks = []
    original = operations._record

    def recorded(operation, result, *, actor):
        payment = original(operation, result, actor=actor)
        if hooks and operation.kind in (operations.VOID, operations.REFUND):
            hooks.pop()()
        return payment

    monkeypatch.setattr(operations, "_record", recorded)
    return hooks


def _assert_no_money_lost(checkout_id):
    """Every payment of the session that still holds money belongs to its order."""
    session = CheckoutSession.objects.get(public_id=checkout_id)
    order = Order.objects.filter(session=session).first()
    for payment in PaymentTransaction.objects.filter(reference=checkout_id):
        if payment.state in HELD and payment.amount_captured + payment.amount_capturable > payment.amount_refunded:
            assert order is not None and order.payment_intent_id == payment.public_id, (
                f"{session.status} session {checkout_id} holds {payment.state} payment {payment.public_id} "
                f"with no order: the shopper is charged for nothing"
            )


def test_a_new_payment_between_the_deadline_give_back_and_the_expiry_is_refused(api, after_give_back):
    set_merchant(api.merchant, approval_mode="merchant")
    checkout_id = ready_session(api)["checkout_id"]
    ok(place(api, checkout_id))
    ok(api.post(session_url(checkout_id, "approve"), {}, format="json"))
    first = pay(api, checkout_id, capture_mode="manual")
    assert first["status"] == "requires_capture"
    CheckoutSession.objects.filter(public_id=checkout_id).update(payment_deadline_at=timezone.now() - timedelta(1))
    method = tokenize(api, SUCCESS)
    answers = []
    after_give_back.append(lambda: _shopper_pays_again(api, checkout_id, method, answers))

    sessions_enforce_deadlines()

    assert answers, "the ordering hook did not run"
    _assert_no_money_lost(checkout_id)
    assert answers[0][:2] == ("create", 409), answers
    assert answers[0][2]["error"]["code"] == "session_not_payable"
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert session.status == "expired"
    assert PaymentTransaction.objects.get(public_id=first["id"]).state == "cancelled"
    _assert_no_money_lost(checkout_id)


def test_a_new_payment_between_the_rollback_refund_and_the_close_is_refused(api, after_give_back):
    paid = paid_session(api)
    checkout_id = paid["checkout_id"]
    method = tokenize(api, SUCCESS)
    answers = []
    after_give_back.append(lambda: _shopper_pays_again(api, checkout_id, method, answers))

    ok(api.post(session_url(checkout_id, "finalize/rollback"), {}, format="json"))

    _assert_no_money_lost(checkout_id)
    assert answers and answers[0][:2] == ("create", 409), answers
    assert answers[0][2]["error"]["code"] == "session_not_payable"
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert (session.status, session.payment_intent_id) == ("failed", paid["payment"]["id"])
    assert PaymentTransaction.objects.get(public_id=paid["payment"]["id"]).state == "refunded"
    _assert_no_money_lost(checkout_id)


def _three_ds_in_flight(api):
    from tests.payments.helpers import THREE_DS

    checkout_id = ready_session(api)["checkout_id"]
    pending = pay(api, checkout_id, THREE_DS)
    assert pending["status"] == "requires_action"
    return checkout_id, pending


def _complete_challenge(next_action):
    import re

    from django.test import Client

    path = re.sub(r"^https?://[^/]+", "", next_action["redirect_to_url"]["url"])
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(path).status_code == 200
    token = browser.cookies["csrftoken"].value
    assert browser.post(path, {"result": "complete", "csrfmiddlewaretoken": token}).status_code == 303


@pytest.fixture
def staff_with_void_permission(db):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("ops", email="ops@example.com", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="void_paymenttransaction"))
    return user


def test_confirm_is_refused_once_the_session_is_closing(api, monkeypatch):
    from django.db import transaction

    from payments.gateways.simulator import SimulatorGateway
    from tests.payments.conftest import CallCounter

    authorize_calls = CallCounter(monkeypatch, SimulatorGateway, "authorize")

    from checkout.locks import lock_session
    from checkout.services.closing import session_close_claim
    from tests.payments.helpers import create_intent

    checkout_id = ready_session(api)["checkout_id"]
    intent = create_intent(api, checkout_id)
    ok(attach(api, intent["id"], tokenize(api, SUCCESS)))
    with transaction.atomic():
        session = lock_session(merchant_id=api.merchant.pk, checkout_id=checkout_id)
        session_close_claim(session, kind="expire", reason="The session passed its expiry time.", actor="test")

    refused = confirm(api, intent["id"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "session_not_payable"
    assert authorize_calls.count == 0
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "pending"


def test_a_payment_that_succeeds_after_the_session_closed_is_given_back(api, staff_with_void_permission):
    from django.core import mail

    from merchants.models import Event

    checkout_id, pending = _three_ds_in_flight(api)
    # The session ended while the shopper was still at 3-D Secure (its deadline passed).
    CheckoutSession.objects.filter(public_id=checkout_id).update(status="expired")

    _complete_challenge(pending["next_action"])

    payment = PaymentTransaction.objects.get(public_id=pending["id"])
    assert payment.state == "refunded" and payment.amount_refunded == payment.amount_captured > 0
    assert payment.return_requested_at is None
    returned = Event.objects.get(type="payment.returned", payment_intent_id=payment.public_id)
    assert returned.data["outcome"] == "refunded"
    types = list(CheckoutSession.objects.get(public_id=checkout_id).timeline.values_list("type", flat=True))
    assert {"payment.succeeded", "payment.returning", "payment.returned"} <= set(types)
    assert [m.to for m in mail.outbox if payment.public_id in m.subject] == [["ops@example.com"]]
    assert set(payment.events.values_list("type", flat=True)) >= {"return.requested", "return.completed"}
    _assert_no_money_lost(checkout_id)


def test_a_compensation_leaves_an_attempt_in_flight_to_the_janitor(api, monkeypatch):
    from django.db import transaction

    from checkout.locks import lock_session
    from checkout.services import payment as checkout_payment
    from checkout.services.closing import LEAVE_TO_JANITOR, session_close_claim, session_close_run
    from payments.services.maintenance import payments_settle_open

    checkout_id, pending = _three_ds_in_flight(api)
    with transaction.atomic():
        session = lock_session(merchant_id=api.merchant.pk, checkout_id=checkout_id)
        session_close_claim(session, kind="fail", reason="The order could not be finalized.", actor="test")
    result = session_close_run(session_pk=session.pk, actor="test", on_in_flight=LEAVE_TO_JANITOR)
    assert (result.payment, result.closed) == ("in_flight", True)
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "failed"
    assert PaymentTransaction.objects.get(public_id=pending["id"]).return_requested_at is not None

    # The listener's own give-back never runs (its process died): the janitor does it.
    monkeypatch.setattr(checkout_payment, "payment_return_run", lambda **kwargs: False)
    _complete_challenge(pending["next_action"])
    assert PaymentTransaction.objects.get(public_id=pending["id"]).state == "completed"

    payments_settle_open()
    payment = PaymentTransaction.objects.get(public_id=pending["id"])
    assert (payment.state, payment.return_requested_at) == ("refunded", None)
    _assert_no_money_lost(checkout_id)


def test_a_new_payment_between_the_compensation_refund_and_the_close_is_refused(api, after_give_back):
    from tests.checkout.finalize_helpers import finalize
    from tests.checkout.inventory_helpers import load_stock

    load_stock(api, {"EBOOK": 1})  # the cart wants 2: the order cannot be made once paid
    paid = paid_session(api)
    checkout_id = paid["checkout_id"]
    method = tokenize(api, SUCCESS)
    answers = []
    after_give_back.append(lambda: _shopper_pays_again(api, checkout_id, method, answers))

    failed = finalize(api, checkout_id)

    assert failed.status_code == 409 and failed.json()["error"]["code"] == "finalization_failed"
    _assert_no_money_lost(checkout_id)
    assert answers and answers[0][:2] == ("create", 409), answers
    assert answers[0][2]["error"]["code"] == "session_not_payable"
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert (session.status, session.payment_intent_id) == ("failed", paid["payment"]["id"])
    assert PaymentTransaction.objects.get(public_id=paid["payment"]["id"]).state == "refunded"


def test_a_confirm_racing_the_deadline_job_either_pays_or_is_refused(api):
    """Real threads, released together: the payable check and the close claim queue on
    the session's row, so either the attempt started first (the job leaves the session
    to the payment) or the session is closing first (the confirm is refused)."""
    from tests.payments.helpers import create_intent

    for _ in range(3):
        checkout_id = ready_session(api)["checkout_id"]
        intent = create_intent(api, checkout_id)
        ok(attach(api, intent["id"], tokenize(api, SUCCESS)))
        CheckoutSession.objects.filter(public_id=checkout_id).update(payment_deadline_at=timezone.now() - timedelta(1))
        barrier = threading.Barrier(2, timeout=JOIN_TIMEOUT)
        results = [None, None]

        def work(index, barrier=barrier, results=results, intent_id=intent["id"]):
            try:
                barrier.wait()
                if index == 0:
                    results[0] = sessions_enforce_deadlines()
                else:
                    response = confirm(MerchantClient(api.secrets), intent_id)
                    results[1] = (response.status_code, response.json())
            except Exception as exc:  # reported below
                results[index] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOIN_TIMEOUT)
        assert not any(thread.is_alive() for thread in threads)
        assert not any(isinstance(result, Exception) for result in results), results
        status, body = results[1]
        session = CheckoutSession.objects.get(public_id=checkout_id)
        payment = PaymentTransaction.objects.get(public_id=intent["id"])
        if status == 200:
            # The attempt came first: the job left the session to the payment (or, seeing it
            # captured already, finalized it).
            assert payment.state == "completed", body
            assert session.status in ("payment_processing", "completed"), session.status
        else:
            assert (status, body["error"]["code"]) in ((409, "session_not_payable"), (409, "invalid_state_transition"))
            assert (session.status, payment.state, payment.amount_captured) == ("expired", "cancelled", 0)
        _assert_no_money_lost(checkout_id)
