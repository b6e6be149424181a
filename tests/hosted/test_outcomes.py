"""Merchant approval, expiry, leaving for the store, and pages that no longer fit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import CheckoutSession, Order
from checkout.services.sessions import sessions_expire_due
from tests.hosted.helpers import open_checkout, pay, pay_page, ready_to_pay, submit_details, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval_shop(shop_api):
    merchant = shop_api.merchant
    merchant.approval_mode = "merchant"
    merchant.save()
    return shop_api


def test_with_merchant_approval_the_shopper_waits_then_pays_the_approved_amount(
    browser, approval_shop, checkout_session
):
    placed = ready_to_pay(browser, checkout_session, approval_shop.rates[0])
    assert placed["Location"] == pay_page(checkout_session, "waiting")
    waiting = browser.get(placed["Location"])
    assert '<meta http-equiv="refresh" content="3">' in waiting.content.decode()
    assert "Waiting for Northwind Goods to confirm your order" in text(waiting)
    # Nothing to pay yet: the payment page sends the shopper back to the wait.
    assert browser.get(pay_page(checkout_session, "payment"))["Location"] == pay_page(checkout_session, "waiting")

    response = approval_shop.post(f"/v1/checkout/sessions/{checkout_session.public_id}/approve", {}, format="json")
    assert response.status_code == 200, response.content
    again = browser.get(pay_page(checkout_session, "waiting"))
    assert again["Location"] == pay_page(checkout_session, "payment")
    payment = browser.get(again["Location"])
    assert "Order approved." in text(payment) and "Final amount: $63.60" in text(payment)
    assert pay(browser, checkout_session)["Location"] == pay_page(checkout_session, "success")
    assert Order.objects.filter(session=checkout_session).exists()


def test_a_declined_order_shows_the_merchants_reason(browser, approval_shop, checkout_session):
    ready_to_pay(browser, checkout_session, approval_shop.rates[0])
    response = approval_shop.post(
        f"/v1/checkout/sessions/{checkout_session.public_id}/decline",
        {"reason": "The blue mug is sold out."},
        format="json",
    )
    assert response.status_code == 200, response.content
    landing = browser.get(pay_page(checkout_session, "waiting"))
    assert landing["Location"] == pay_page(checkout_session, "declined")
    page = text(browser.get(landing["Location"]))
    assert "Northwind Goods couldn't accept your order" in page
    assert "The blue mug is sold out." in page
    assert "Return to store" in page


def test_an_expired_session_shows_the_expired_page(browser, shop_api, checkout_session):
    open_checkout(browser, checkout_session)
    assert sessions_expire_due(now=checkout_session.expires_at + timedelta(seconds=1)) >= 1
    landing = browser.get(pay_page(checkout_session, "details"))
    assert landing["Location"] == pay_page(checkout_session, "expired")
    assert "This checkout has expired" in text(browser.get(landing["Location"]))


def test_a_session_past_its_expiry_reads_as_expired_before_the_job_runs(browser, checkout_session):
    open_checkout(browser, checkout_session)
    CheckoutSession.objects.filter(pk=checkout_session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert browser.get(pay_page(checkout_session))["Location"] == pay_page(checkout_session, "expired")


def test_return_to_store_goes_to_the_success_url_and_ends_access(browser, shop_api, checkout_session):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    pay(browser, checkout_session)
    success = browser.get(pay_page(checkout_session, "success"))
    body = success.content.decode()
    expected = f"https://shop.example/thanks?checkout_id={checkout_session.public_id}"
    assert f'<meta http-equiv="refresh" content="5; url=\'{expected}\'">' in body
    leave = browser.post(pay_page(checkout_session, "leave"))
    assert leave.status_code == 303
    assert leave["Location"] == expected
    assert browser.get(pay_page(checkout_session, "success")).status_code == 403


def test_back_to_store_before_paying_goes_to_the_error_url_and_keeps_access(browser, checkout_session):
    open_checkout(browser, checkout_session)
    leave = browser.post(pay_page(checkout_session, "leave"))
    assert leave["Location"] == f"https://shop.example/oops?checkout_id={checkout_session.public_id}"
    assert browser.get(pay_page(checkout_session, "review")).status_code == 200


def test_editing_pages_are_closed_once_paid(browser, shop_api, checkout_session):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    pay(browser, checkout_session)
    for step in ("review", "details", "shipping", "payment"):
        assert browser.get(pay_page(checkout_session, step))["Location"] == pay_page(checkout_session, "success")
    response = pay(browser, checkout_session)
    assert response.status_code == 303 and response["Location"] == pay_page(checkout_session, "success")
    assert Order.objects.filter(session=checkout_session).count() == 1


def test_payment_waits_until_details_and_delivery_are_done(browser, shop_api, checkout_session):
    open_checkout(browser, checkout_session)
    assert browser.get(pay_page(checkout_session, "payment"))["Location"] == pay_page(checkout_session, "review")
    response = browser.get(pay_page(checkout_session, "review"))
    assert f'href="{pay_page(checkout_session, "details")}"' in response.content.decode()


def test_delivery_must_be_chosen(browser, shop_api, checkout_session):
    open_checkout(browser, checkout_session)
    submit_details(browser, checkout_session)
    response = browser.post(pay_page(checkout_session, "shipping"), {"choice": "rate:shr_nope"})
    assert response.status_code == 200
    assert "That option is no longer available; choose again." in text(response)
