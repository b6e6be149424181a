"""A bank transfer takes days, a stock hold minutes: once the shopper chooses to pay by
transfer, the session's holds last until the transfer's deadline, when the payment's
expiry releases them. The clock is moved with time-machine."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from checkout.models import CheckoutSession, Reservation
from checkout.services.deadlines import sessions_enforce_deadlines
from checkout.services.inventory import reservations_expire_lapsed
from checkout.services.sessions import sessions_expire_due
from payments.models import PaymentTransaction
from payments.services.maintenance import payments_expire_due
from tests.checkout.inventory_helpers import load_stock, reserve, stock_levels
from tests.payments.helpers import V1, confirm, create_intent, ok

pytestmark = pytest.mark.django_db

START = "2026-12-01 09:00Z"  # a Tuesday


def offer_transfers(api, days=3):
    body = {"bank_transfer": {"enabled": True, "iban": "DE89370400440532013000", "deadline_days": days}}
    ok(api.patch(f"{V1}/settings", {"extra_settings": body}, format="json"))


def held_session(api) -> str:
    load_stock(api, {"LAMP": 3})
    cart = {"currency": "USD", "lines": [{"sku": "LAMP", "name": "Lamp", "quantity": 2, "unit_amount": 2500}]}
    checkout_id = ok(api.post(f"{V1}/sessions", cart, format="json"), 201)["checkout_id"]
    ok(api.post(f"{V1}/sessions/{checkout_id}/customer", {"email": "ada@example.com"}, format="json"))
    ok(api.post(f"{V1}/sessions/{checkout_id}/calculate", {}, format="json"))
    assert reserve(api, checkout_id).status_code == 201
    return checkout_id


def pay_by_transfer(api, checkout_id, callbacks) -> PaymentTransaction:
    intent = create_intent(api, checkout_id)
    method = ok(api.post(f"{V1}/payment-methods/tokenize", {"type": "bank_transfer"}, format="json"), 201)
    # The payment's listener runs after the commit: run it, as production does.
    with callbacks(execute=True):
        answer = ok(confirm(api, intent["id"], method["payment_method_id"]))
    assert answer["next_action"]["type"] == "display_bank_transfer_instructions"
    return PaymentTransaction.objects.get(public_id=intent["id"])


def test_the_holds_last_until_the_transfer_deadline_and_go_with_its_expiry(api, django_capture_on_commit_callbacks):
    offer_transfers(api)
    with time_machine.travel(START, tick=False) as clock:
        checkout_id = held_session(api)
        hold = Reservation.objects.get(session__public_id=checkout_id)
        assert hold.expires_at == timezone.now() + timedelta(minutes=15)  # the merchant's default hold
        payment = pay_by_transfer(api, checkout_id, django_capture_on_commit_callbacks)
        deadline = payment.action_expires_at
        assert deadline == timezone.now() + timedelta(days=3)
        hold.refresh_from_db()
        assert hold.expires_at == deadline
        assert stock_levels(api)["LAMP"]["available"] == 1

        # Far past the hold's own 15 minutes and the session's expiry, just before the
        # deadline: the stock is still the shopper's, and no job takes it away.
        clock.move_to(deadline - timedelta(minutes=1))
        assert reservations_expire_lapsed() == 0
        assert sessions_enforce_deadlines() == 0
        assert sessions_expire_due() == 0
        assert stock_levels(api)["LAMP"]["available"] == 1
        assert CheckoutSession.objects.get(public_id=checkout_id).status == "payment_processing"

        # No money by the deadline: the payment expires, the session fails, the lamps
        # go back on sale.
        clock.move_to(deadline + timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert payments_expire_due() == 1
        assert CheckoutSession.objects.get(public_id=checkout_id).status == "failed"
        hold.refresh_from_db()
        assert hold.status == Reservation.Status.RELEASED
        assert stock_levels(api)["LAMP"]["available"] == 3


def test_a_card_payment_leaves_the_holds_as_they_were(api, django_capture_on_commit_callbacks):
    from tests.payments.helpers import tokenize

    with time_machine.travel(START, tick=False):
        checkout_id = held_session(api)
        before = Reservation.objects.get(session__public_id=checkout_id).expires_at
        intent = create_intent(api, checkout_id)
        with django_capture_on_commit_callbacks(execute=True):
            ok(confirm(api, intent["id"], tokenize(api)))
        assert Reservation.objects.get(session__public_id=checkout_id).expires_at == before


def test_a_hold_that_lapsed_before_the_transfer_was_chosen_is_not_revived(api, django_capture_on_commit_callbacks):
    offer_transfers(api)
    with time_machine.travel(START, tick=False) as clock:
        checkout_id = held_session(api)
        clock.shift(timedelta(minutes=20))
        pay_by_transfer(api, checkout_id, django_capture_on_commit_callbacks)
        hold = Reservation.objects.get(session__public_id=checkout_id)
        # Its stock may have been sold meanwhile: committing the order re-checks it.
        assert hold.expires_at == timezone.now() - timedelta(minutes=5)
        assert stock_levels(api)["LAMP"]["available"] == 3
