"""Amounts, quantities and counts are JSON integers only: a string, a float or a boolean is
a 400 naming the field, never a guessed number of minor units."""

import pytest

from checkout.models import CheckoutSession
from tests.checkout.conftest import CART
from tests.payments.helpers import V1, ok, paid_intent, tokenize
from tests.refunds.helpers import captured_intent, request_refund

pytestmark = pytest.mark.django_db

NOT_INTEGERS = ["15.00", "15", 15.0, True, [15]]


def _assert_400(response, param):
    assert response.status_code == 400, (response.status_code, response.content)
    error = response.json()["error"]
    assert error["param"] == param, error
    return error


def _cart_with(**line_fields):
    first = {**CART["lines"][0], **line_fields}
    return {**CART, "lines": [first, *CART["lines"][1:]]}


@pytest.mark.parametrize("value", NOT_INTEGERS)
@pytest.mark.parametrize("field", ["unit_amount", "quantity", "weight_grams"])
def test_cart_line_numbers_must_be_json_integers(api, field, value):
    response = api.post(f"{V1}/sessions", _cart_with(**{field: value}), format="json")
    error = _assert_400(response, f"lines[0].{field}")
    assert "integer" in error["message"].lower()
    assert CheckoutSession.objects.count() == 0


def test_a_json_integer_is_still_accepted(api):
    session = ok(api.post(f"{V1}/sessions", _cart_with(unit_amount=1500, quantity=2), format="json"), 201)
    assert session["lines"][0]["unit_amount"] == 1500 and session["lines"][0]["quantity"] == 2


@pytest.mark.parametrize("value", ["100", 100.0, True])
def test_capture_amount_must_be_a_json_integer(api, value):
    _, intent = paid_intent(api, capture_mode="manual")
    ok(api.post(f"{V1}/payment-intents/{intent['id']}/confirm", {}, format="json"))
    _assert_400(api.post(f"{V1}/payment-intents/{intent['id']}/capture", {"amount": value}, format="json"), "amount")
    captured = ok(api.post(f"{V1}/payment-intents/{intent['id']}/capture", {"amount": 100}, format="json"))
    assert captured["amount_received"] == 100


@pytest.mark.parametrize("value", ["100", 100.0])
def test_refund_amount_and_line_quantity_must_be_json_integers(api, value):
    payment_intent_id = captured_intent(api)
    _assert_400(request_refund(api, payment_intent_id, amount=value), "amount")
    lines = [{"line_id": "anything", "quantity": value}]
    _assert_400(request_refund(api, payment_intent_id, lines=lines), "lines[0].quantity")


@pytest.mark.parametrize(
    "url,body,param",
    [
        ("inventory", {"items": [{"sku": "MUG", "on_hand": "5"}]}, "items[0].on_hand"),
        ("inventory/MUG/adjust", {"delta": 2.0}, "delta"),
    ],
)
def test_stock_counts_must_be_json_integers(api, url, body, param):
    _assert_400(api.post(f"{V1}/{url}", body, format="json"), param)


def test_settings_counts_must_be_json_integers(api):
    _assert_400(api.patch(f"{V1}/settings", {"session_ttl_minutes": "30"}, format="json"), "session_ttl_minutes")
    _assert_400(api.patch(f"{V1}/settings", {"max_payment_attempts": 3.0}, format="json"), "max_payment_attempts")


def test_card_expiry_must_be_json_integers(api):
    body = {"type": "card", "card": {"number": "4242424242424242", "exp_month": "12", "exp_year": 2034, "cvc": "123"}}
    _assert_400(api.post(f"{V1}/payment-methods/tokenize", body, format="json"), "card.exp_month")
    assert tokenize(api).startswith("pm_")
