"""Refunds by line: checked against what the payment paid for, priced from those lines."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from checkout.models import Calculation
from refunds.models import RefundRequest
from tests.checkout.pricing_helpers import promotion, tax_rate
from tests.payments.helpers import V1, attach, calculated_session, confirm, create_intent, ok, tokenize
from tests.refunds.helpers import request_refund

pytestmark = pytest.mark.django_db

# Three mugs at 9.99 and a poster at 20.00; 10% off the cart and 8.25% tax on top, so the
# line shares do not divide evenly.
CART = {
    "currency": "USD",
    "promotion_codes": ["SAVE10"],
    "lines": [
        {"sku": "MUG", "name": "Mug", "quantity": 3, "unit_amount": 999, "requires_shipping": False},
        {"sku": "POSTER", "name": "Poster", "quantity": 1, "unit_amount": 2000, "requires_shipping": False},
    ],
}


def _paid(api):
    tax_rate(api.merchant, country=api.merchant.country or "US", rate_bps=825)
    promotion(api.merchant, "SAVE10")
    session = calculated_session(api, CART)
    intent = create_intent(api, session["checkout_id"])
    ok(attach(api, intent["id"], tokenize(api)))
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    calculation = Calculation.objects.filter(session__public_id=session["checkout_id"]).order_by("-id").first()
    return intent, {line["sku"]: line for line in calculation.lines}


def _line(lines, sku, quantity):
    return {"line_id": lines[sku]["line_id"], "quantity": quantity}


def test_lines_without_an_amount_are_priced_from_the_lines_and_add_up_exactly(api, django_capture_on_commit_callbacks):
    intent, lines = _paid(api)
    assert (lines["MUG"]["total_amount"], lines["POSTER"]["total_amount"], intent["amount"]) == (2920, 1949, 4869)
    with django_capture_on_commit_callbacks(execute=True):
        one_mug = ok(request_refund(api, intent["id"], lines=[_line(lines, "MUG", 1)]), 201)
    # 9.99, less a third of the line's 3.00 discount, plus a third of its 2.23 tax, rounded down.
    assert one_mug["amount"] == 999 - 100 + 74 == 973
    with django_capture_on_commit_callbacks(execute=True):
        rest = ok(request_refund(api, intent["id"], lines=[_line(lines, "MUG", 2), _line(lines, "POSTER", 1)]), 201)
    # The last units of a line carry what the earlier refunds' rounding left: to the cent.
    assert rest["amount"] == (2920 - 973) + 1949
    assert one_mug["amount"] + rest["amount"] == intent["amount"]
    assert ok(api.get(f"{V1}/payment-intents/{intent['id']}"))["amount_refunded"] == intent["amount"]


def test_an_unknown_line_is_refused_and_nothing_is_written(api):
    intent, lines = _paid(api)
    response = request_refund(api, intent["id"], lines=[_line(lines, "MUG", 1), {"line_id": "li_nope", "quantity": 1}])
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("refund_line_unknown", "lines[1].line_id")
    assert RefundRequest.objects.count() == 0


def test_more_units_than_bought_and_not_yet_refunded_is_refused(api):
    intent, lines = _paid(api)
    too_many = request_refund(api, intent["id"], lines=[_line(lines, "MUG", 4)])
    assert too_many.status_code == 400
    assert too_many.json()["error"]["param"] == "lines[0].quantity"
    ok(request_refund(api, intent["id"], lines=[_line(lines, "MUG", 2)]), 201)
    again = request_refund(api, intent["id"], lines=[_line(lines, "POSTER", 1), _line(lines, "MUG", 2)])
    error = again.json()["error"]
    assert again.status_code == 400
    assert (error["code"], error["param"], error["refundable_quantity"]) == (
        "refund_line_quantity_exceeded",
        "lines[1].quantity",
        1,
    )
    assert RefundRequest.objects.count() == 1
    assert ok(request_refund(api, intent["id"], lines=[_line(lines, "MUG", 1)]), 201)["amount"] == 2920 - 2920 * 2 // 3


def test_lines_never_refund_more_than_is_left(api):
    intent, lines = _paid(api)
    ok(request_refund(api, intent["id"], amount=4000), 201)
    poster = ok(request_refund(api, intent["id"], lines=[_line(lines, "POSTER", 1)]), 201)
    assert poster["amount"] == 4869 - 4000  # the poster is worth 19.49, only 8.69 is left
    nothing = request_refund(api, intent["id"], lines=[_line(lines, "MUG", 1)])
    assert nothing.status_code == 400 and nothing.json()["error"]["code"] == "refund_exceeds_captured"


def test_an_amount_given_with_lines_is_kept_and_the_lines_still_checked(api):
    intent, lines = _paid(api)
    refund = ok(request_refund(api, intent["id"], amount=500, lines=[_line(lines, "MUG", 1)]), 201)
    assert refund["amount"] == 500 and refund["lines"] == [_line(lines, "MUG", 1)]
    response = request_refund(api, intent["id"], amount=500, lines=[_line(lines, "MUG", 3)])
    assert response.status_code == 400 and response.json()["error"]["param"] == "lines[0].quantity"


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_the_same_units_never_refund_more_than_were_bought(api):
    intent, lines = _paid(api)
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    results = []
    lock = threading.Lock()

    def refund():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.secrets.secret_key}")
            barrier.wait(timeout=10)
            response = request_refund(client, intent["id"], lines=[_line(lines, "MUG", 2)])
            with lock:
                results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refund) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [201] + [400] * (threads_count - 1)
    [created] = RefundRequest.objects.all()
    assert created.amount == 2920 * 2 // 3
