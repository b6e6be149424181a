"""The shopper's journeys through the hosted checkout, in headless Chromium.

Each test saves a screenshot of its final page in tests/browser/artifacts/.
"""

import re

import pytest
from playwright.sync_api import expect

from checkout.models import CheckoutSession, Order
from checkout.services.sessions import sessions_expire_due
from tests.browser.journeys import fill_details, new_checkout, pay_with, to_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD_OK = "4242 4242 4242 4242"
CARD_3DS = "4000 0027 6000 3184"
CARD_NO_FUNDS = "4000 0000 0000 9995"
# The success page returns to the store after 5 seconds; allow for a slow machine.
AUTO_RETURN_MS = 12_000


def test_pay_with_4242_then_return_to_the_store(tab, shop):
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    expect(page.get_by_role("heading", name="Payment")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Pay \$63\.60$"))).to_be_visible()
    pay_with(page, CARD_OK)
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    order = Order.objects.get(session__public_id=session.public_id)
    expect(page.get_by_text(order.public_id)).to_be_visible()
    tab.snap("success")
    # A form POST answered by a 303 to the shop's origin: CSP form-action must allow it.
    page.get_by_role("button", name="Return to store").click()
    page.wait_for_url(f"{shop.success_url}?checkout_id={session.public_id}")
    expect(page.get_by_role("heading", name="Back at Northwind: thank you!")).to_be_visible()


def test_three_d_secure_passes_and_the_page_returns_to_the_store_by_itself(tab, shop):
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    pay_with(page, CARD_3DS)
    expect(page.get_by_role("heading", name="3-D Secure authentication")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    tab.snap("3ds-success")
    page.wait_for_url(f"{shop.success_url}?checkout_id={session.public_id}", timeout=AUTO_RETURN_MS)
    assert CheckoutSession.objects.get(public_id=session.public_id).status == "completed"


def test_three_d_secure_fails_then_another_card_succeeds(tab, shop):
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    pay_with(page, CARD_3DS)
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("heading", name="Your payment didn't go through")).to_be_visible()
    expect(page.get_by_text("3-D Secure authentication failed")).to_be_visible()
    tab.snap("3ds-failed")
    page.get_by_role("link", name="Try another card").click()
    expect(page.get_by_text("Your last payment didn't go through")).to_be_visible()
    pay_with(page, CARD_OK)
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    tab.snap("3ds-failed-then-success")
    assert Order.objects.filter(session__public_id=session.public_id).count() == 1


def test_insufficient_funds_says_so_in_plain_words(tab, shop):
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    pay_with(page, CARD_NO_FUNDS)
    expect(page.get_by_role("heading", name="Your payment didn't go through")).to_be_visible()
    expect(page.get_by_text("Your card has insufficient funds.")).to_be_visible()
    expect(page.get_by_role("link", name="Try another card")).to_be_visible()
    tab.snap("insufficient-funds")
    assert not Order.objects.filter(session__public_id=session.public_id).exists()


@pytest.fixture
def approval_shop(shop):
    merchant = shop.merchant
    merchant.approval_mode = "merchant"
    merchant.save()
    return shop


def _place_for_approval(tab, link):
    page = tab.page
    page.goto(link)
    fill_details(page)
    page.get_by_role("radio", name=re.compile("Standard")).check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Waiting for Northwind Goods to confirm your order")).to_be_visible()


def test_merchant_approval_the_page_waits_then_the_shopper_pays(tab, approval_shop):
    session, link = new_checkout(approval_shop)
    _place_for_approval(tab, link)
    tab.snap("waiting-for-merchant")
    response = approval_shop.post(f"/v1/checkout/sessions/{session.public_id}/approve", {}, format="json")
    assert response.status_code == 200, response.content
    page = tab.page
    # No click: the page's meta refresh notices the approval.
    expect(page.get_by_text("Order approved.")).to_be_visible()
    tab.snap("approved-payment")
    pay_with(page, CARD_OK)
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    tab.snap("approved-then-paid")


def test_merchant_declines_and_the_shopper_reads_why(tab, approval_shop):
    session, link = new_checkout(approval_shop)
    _place_for_approval(tab, link)
    response = approval_shop.post(
        f"/v1/checkout/sessions/{session.public_id}/decline", {"reason": "The blue mug is sold out."}, format="json"
    )
    assert response.status_code == 200, response.content
    page = tab.page
    expect(page.get_by_role("heading", name="Northwind Goods couldn't accept your order")).to_be_visible()
    expect(page.get_by_text("The blue mug is sold out.")).to_be_visible()
    tab.snap("declined")
    page.get_by_role("button", name="Return to store").click()
    page.wait_for_url(f"{approval_shop.error_url}?checkout_id={session.public_id}")


def test_an_expired_checkout_says_so(tab, shop):
    session, link = new_checkout(shop)
    page = tab.page
    page.goto(link)
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    assert sessions_expire_due(now=session.expires_at) >= 1
    page.reload()
    expect(page.get_by_role("heading", name="This checkout has expired")).to_be_visible()
    tab.snap("expired")


def test_phone_sized_review_and_payment_pages(phone_tab, shop):
    session, link = new_checkout(shop)
    page = phone_tab.page
    page.goto(link)
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    phone_tab.snap("mobile-review")
    fill_details(page)
    page.get_by_role("radio", name=re.compile("Standard")).check()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Payment")).to_be_visible()
    # Nothing sticks out sideways at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_tab.snap("mobile-payment")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name=re.compile(r"^Pay (?!in )")).click()
    expect(page.get_by_text("Enter your card number.").first).to_be_visible()
    phone_tab.snap("mobile-payment-errors")
