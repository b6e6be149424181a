"""Finalize under real concurrency, with threads against PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import CheckoutSession, Order, StockItem
from checkout.services.deadlines import sessions_enforce_deadlines
from merchants.models import Event
from payments.models import PaymentTransaction
from tests.checkout.finalize_helpers import finalize, paid_session
from tests.checkout.inventory_helpers import load_stock
from tests.concurrency import run_together
from tests.conftest import MerchantClient

pytestmark = pytest.mark.django_db(transaction=True)
JOIN_TIMEOUT = 60


def _run_together(count, work):
    return run_together(count, work, timeout=JOIN_TIMEOUT)


def test_twenty_concurrent_finalizations_make_one_order(api):
    load_stock(api, {"EBOOK": 10})
    checkout_id = paid_session(api)["checkout_id"]

    def call(_):
        response = finalize(MerchantClient(api.secrets), checkout_id)
        return response.status_code, response.json()

    results = _run_together(20, call)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 19 + [201], results
    assert len({body["order"]["id"] for _, body in results}) == 1
    assert Order.objects.filter(session__public_id=checkout_id).count() == 1
    assert Event.objects.filter(type="checkout.completed", checkout_id=checkout_id).count() == 1
    assert StockItem.objects.get(merchant=api.merchant, sku="EBOOK").on_hand == 8  # taken once
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "completed"


def test_two_paid_carts_racing_for_the_last_units(api):
    load_stock(api, {"EBOOK": 2})
    first, second = paid_session(api)["checkout_id"], paid_session(api)["checkout_id"]

    def call(index):
        return finalize(MerchantClient(api.secrets), [first, second][index]).status_code

    assert sorted(_run_together(2, call)) == [201, 409]
    assert Order.objects.count() == 1
    assert StockItem.objects.get(merchant=api.merchant, sku="EBOOK").on_hand == 0
    loser = CheckoutSession.objects.get(status="failed")
    assert PaymentTransaction.objects.get(public_id=loser.payment_intent_id).state == "refunded"


def test_deadline_job_and_finalize_never_both_win(api):
    """An authorization at its deadline: either the order is made (the authorization
    stays) or the session expires (it is voided), never an order on a voided payment."""
    paid = paid_session(api, capture_mode="manual")
    checkout_id = paid["checkout_id"]
    CheckoutSession.objects.filter(public_id=checkout_id).update(payment_deadline_at=timezone.now() - timedelta(1))

    def work(index):
        if index == 0:
            return sessions_enforce_deadlines()
        return finalize(MerchantClient(api.secrets), checkout_id).status_code

    results = _run_together(2, work)
    # Neither side may crash (a deadlock, say) whichever of them wins.
    assert not any(isinstance(result, Exception) for result in results), results
    session = CheckoutSession.objects.get(public_id=checkout_id)
    payment = PaymentTransaction.objects.get(public_id=paid["payment"]["id"])
    if Order.objects.filter(session=session).exists():
        assert (session.status, payment.state) == ("completed", "authorized")
    else:
        assert (session.status, payment.state) == ("expired", "cancelled")
    assert session.closing_claimed_at is None
