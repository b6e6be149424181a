"""The order resource with its receipt data, the HTML receipt page, and the order admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from checkout.models import FinalizationJob, Order
from tests.checkout.finalize_helpers import finalize, pay, ready_session, set_merchant
from tests.payments.helpers import V1, ok

pytestmark = pytest.mark.django_db

EUR_CART = {
    "currency": "EUR",
    "locale": "de_DE",
    "lines": [{"sku": "BOOK", "name": "Buch", "quantity": 2, "unit_amount": 1250, "requires_shipping": False}],
}


@pytest.fixture
def order(api):
    checkout_id = ready_session(api)["checkout_id"]
    pay(api, checkout_id)
    return ok(finalize(api, checkout_id), 201)["order"]


def test_order_resource_carries_the_receipt_data(api, order):
    body = ok(api.get(f"{V1}/orders/{order['id']}"))
    assert body == order
    receipt = body["receipt"]
    assert receipt["url"].endswith(f"/receipts/{receipt['receipt_id']}")
    assert receipt["merchant_name"] == api.merchant.name
    assert receipt["formatted"]["grand_total"] == "$50.00" and receipt["formatted"]["sub_total"] == "$50.00"
    assert body["totals"] == {
        "currency": "USD", "sub_total": 5000, "discount_total": 0, "tax_total": 0, "shipping_total": 0,
        "fee_total": 0, "grand_total": 5000,
    }  # fmt: skip
    assert body["payment_method"] == {"brand": "visa", "last4": "4242"}


def test_receipt_page_needs_only_its_unguessable_id(api, order):
    receipt_id = order["receipt"]["receipt_id"]
    page = Client().get(f"/receipts/{receipt_id}")
    assert page.status_code == 200
    html = page.content.decode()
    for text in (order["id"], receipt_id, api.merchant.name, "E-book", "$15.00", "$30.00", "$50.00", "4242"):
        assert text in html
    assert "a•••@example.com" in html and "ada@example.com" not in html
    assert page["Cache-Control"] == "no-store, private" and page["Referrer-Policy"] == "no-referrer"
    # Nothing is fetched from anywhere else.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_receipt_page_formats_for_the_locale(api):
    checkout_id = ready_session(api, EUR_CART)["checkout_id"]
    pay(api, checkout_id)
    order = ok(finalize(api, checkout_id), 201)["order"]
    html = Client().get(f"/receipts/{order['receipt']['receipt_id']}").content.decode()
    assert "25,00\xa0€" in html and "12,50\xa0€" in html and 'lang="de"' in html
    # The page speaks the order's language too, its date formatted for the locale.
    assert f"Beleg zur Bestellung {order['id']}" in html and "Zwischensumme" in html and "Bezahlt am" in html
    assert "Receipt for order" not in html


def test_unknown_receipts_and_order_ids_are_not_found(order):
    assert Client().get("/receipts/rcpt_doesnotexist").status_code == 404
    assert Client().get(f"/receipts/{order['id']}").status_code == 404
    assert Client().post(f"/receipts/{order['receipt']['receipt_id']}").status_code == 405


def test_authorized_order_receipt_says_it_is_not_charged_yet(api):
    set_merchant(api.merchant, capture_mode="manual")
    checkout_id = ready_session(api)["checkout_id"]
    pay(api, checkout_id)
    order = ok(finalize(api, checkout_id), 201)["order"]
    html = Client().get(f"/receipts/{order['receipt']['receipt_id']}").content.decode()
    assert "authorized" in html


@pytest.fixture
def staff():
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-not-used-elsewhere")
    client = Client()
    client.force_login(user)
    return client


def test_order_and_job_admins_are_read_only(staff, api, order):
    row = Order.objects.get(public_id=order["id"])
    changelist = staff.get("/admin/checkout/order/", {"payment_status": "captured", "q": order["id"]})
    assert changelist.status_code == 200 and order["id"] in changelist.content.decode()
    detail = staff.get(f"/admin/checkout/order/{row.pk}/change/")
    assert detail.status_code == 200 and f"/receipts/{row.receipt_id}" in detail.content.decode()
    assert staff.get("/admin/checkout/order/add/").status_code == 403
    assert staff.post(f"/admin/checkout/order/{row.pk}/delete/", {"post": "yes"}).status_code == 403

    ok(api.post(f"{V1}/sessions/{order['checkout_id']}/finalize/async", {}, format="json"), 202)
    job = FinalizationJob.objects.get()
    assert staff.get("/admin/checkout/finalizationjob/", {"status": "queued"}).status_code == 200
    assert staff.get(f"/admin/checkout/finalizationjob/{job.pk}/change/").status_code == 200
