"""Money services open their use case's transaction with atomic(durable=True): nesting one
inside another transaction is a bug (its claim would commit only with the caller's, after
the gateway call), and it is caught at once.

pytest-django's plain `django_db` runs each test in Django's TestCase transaction, which
Django lets durable blocks open inside; an atomic block the test itself opens is nested."""

import pytest
from django.db import transaction

from payments.models import PaymentTransaction
from payments.services import payment_intent_capture, payment_intent_refund
from refunds.services.requests import refund_create
from tests.payments.helpers import attach, calculated_session, confirm, create_intent, ok, tokenize

pytestmark = pytest.mark.django_db


def _captured(api) -> str:
    intent = create_intent(api, calculated_session(api)["checkout_id"])
    ok(attach(api, intent["id"], tokenize(api)))
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    return intent["id"]


def test_a_durable_service_runs_inside_the_test_transaction(api):
    intent_id = _captured(api)
    payment_intent_refund(merchant_id=api.merchant.pk, payment_intent_id=intent_id, actor="test", amount=100)
    assert PaymentTransaction.objects.get(public_id=intent_id).amount_refunded == 100


@pytest.mark.parametrize("service", ["refund", "capture", "refund_request"])
def test_nesting_a_money_service_in_a_transaction_is_refused(api, service):
    intent_id = _captured(api)
    merchant_id = api.merchant.pk
    calls = {
        "refund": lambda: payment_intent_refund(merchant_id=merchant_id, payment_intent_id=intent_id, actor="t"),
        "capture": lambda: payment_intent_capture(merchant_id=merchant_id, payment_intent_id=intent_id, actor="t"),
        "refund_request": lambda: refund_create(
            merchant_id=merchant_id, payment_intent_id=intent_id, amount=100, reason="duplicate", actor="t"
        ),
    }
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        calls[service]()
    assert PaymentTransaction.objects.get(public_id=intent_id).amount_refunded == 0
