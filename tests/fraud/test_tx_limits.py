"""Transaction limits: read and set by API, enforced before authorization (402
transaction_limit_exceeded naming the limit), nothing sent to the gateway."""

import pytest

from merchants.models import Merchant
from payments.models import PaymentTransaction
from payments.simulator.models import SimulatorCharge
from tests.checkout.finalize_helpers import ready_session
from tests.payments.helpers import V1, attach, confirm, create_intent, ok, tokenize

pytestmark = pytest.mark.django_db


def _pay(api, email="limits@example.com", cart=None):
    session = ready_session(api, cart, email=email)
    intent = create_intent(api, session["checkout_id"])
    ok(attach(api, intent["id"], tokenize(api)))
    return intent["id"], confirm(api, intent["id"])


def _refused(response, limit):
    assert response.status_code == 402, response.content
    error = response.json()["error"]
    assert error["code"] == "transaction_limit_exceeded" and error["explain"].startswith(limit)


def test_limits_are_read_and_set_with_validation(api):
    assert ok(api.get(f"{V1}/tx-limits")) == {
        "object": "tx_limits",
        "max_amount_per_payment": None,
        "daily_amount_limit": None,
        "max_payments_per_card_per_day": None,
        "max_attempts_per_session": 3,
    }
    updated = ok(
        api.patch(f"{V1}/tx-limits", {"max_amount_per_payment": 5000, "max_attempts_per_session": 5}, format="json")
    )
    assert updated["max_amount_per_payment"] == 5000 and updated["max_attempts_per_session"] == 5
    assert Merchant.objects.get(pk=api.merchant.pk).max_payment_attempts == 5  # still the setting
    for body, param in [
        ({"daily_amount_limit": "100"}, "daily_amount_limit"),
        ({"daily_amount_limit": 1.5}, "daily_amount_limit"),
        ({"max_attempts_per_session": None}, "max_attempts_per_session"),
        ({"max_payments_per_card_per_day": 0}, "max_payments_per_card_per_day"),
        ({"per_hour": 3}, "per_hour"),
    ]:
        response = api.patch(f"{V1}/tx-limits", body, format="json")
        assert response.status_code == 400 and response.json()["error"]["param"] == param, body
    assert (
        ok(api.patch(f"{V1}/tx-limits", {"max_amount_per_payment": None}, format="json"))["max_amount_per_payment"]
        is None
    )


def test_max_amount_per_payment(api):
    ok(api.patch(f"{V1}/tx-limits", {"max_amount_per_payment": 4999}, format="json"))
    intent_id, response = _pay(api)
    assert PaymentTransaction.objects.get(public_id=intent_id).amount == 5000
    _refused(response, "max_amount_per_payment")
    assert not SimulatorCharge.objects.exists(), "refused before the gateway"
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert (payment.state, payment.attempt_count) == ("pending", 0), "nothing half-written"
    ok(api.patch(f"{V1}/tx-limits", {"max_amount_per_payment": 5000}, format="json"))
    assert ok(confirm(api, intent_id))["status"] == "succeeded"


def test_daily_amount_and_payments_per_card(api):
    _, first = _pay(api, email="a@example.com")
    paid = ok(first)["amount"]
    ok(api.patch(f"{V1}/tx-limits", {"daily_amount_limit": paid * 2}, format="json"))
    assert _pay(api, email="b@example.com")[1].status_code == 200
    _refused(_pay(api, email="c@example.com")[1], "daily_amount_limit")
    ok(api.patch(f"{V1}/tx-limits", {"daily_amount_limit": None, "max_payments_per_card_per_day": 2}, format="json"))
    _refused(_pay(api, email="d@example.com")[1], "max_payments_per_card_per_day")
