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
