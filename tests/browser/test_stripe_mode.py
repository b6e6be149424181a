"""Stripe mode of the hosted card form, in headless Chromium, against localstripe on
loopback: its Stripe.js replacement (served at /js.stripe.com/v3/) is what the page loads
in place of js.stripe.com, and its API is what our server calls.

What localstripe's Stripe.js can do decides the flow the page uses (and the same calls
run against Stripe's own library): `elements().create("card")` mounts plain inputs;
`confirmCardSetup(secret, {payment_method: {card}})` sends the Element's card to Stripe,
with a 3-D Secure dialog for cards that ask for one; `confirmCardPayment(secret)` runs
3-D Secure for a PaymentIntent that waits for it (it ignores any card data, so it cannot
be the way the card is entered); `createPaymentMethod` and `handleCardAction` do nothing.
"""

import re

import pytest
from playwright.sync_api import expect

from checkout.models import CheckoutSession, Order
from payments.models import PaymentAttempt, PaymentMethod
from tests.browser.conftest import DESKTOP, MOBILE, _tab
from tests.browser.journeys import new_checkout, to_payment
from tests.payments.conftest import localstripe, stripe_settings  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD_OK = "4242424242424242"
CARD_3DS = "4000002760003184"
# The card Element as localstripe mounts it: unlabelled inputs named by their placeholder.
# In production the Element is Stripe's iframe, which Stripe keeps accessible.
ELEMENT = "#stripe-card"


@pytest.fixture
def stripe_shop(shop, stripe_settings, localstripe):  # noqa: F811
    stripe_settings.STRIPE_JS_URL = f"{localstripe}/js.stripe.com/v3/"
    stripe_settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    shop.merchant.gateway = "stripe"
    shop.merchant.save(update_fields=["gateway"])
    return shop


def _stripe_tab(chromium, hosted_server, httpserver_ipv4, localstripe, viewport, **options):  # noqa: F811
    # localstripe is the one other origin the page may reach: it stands for js.stripe.com
    # and api.stripe.com.
    yield from _tab(chromium, viewport, [hosted_server.url, httpserver_ipv4.url_for("/"), localstripe], **options)


@pytest.fixture
def stripe_tab(chromium, stripe_shop, hosted_server, httpserver_ipv4, localstripe):  # noqa: F811
    yield from _stripe_tab(chromium, hosted_server, httpserver_ipv4, localstripe, DESKTOP)


@pytest.fixture
def stripe_phone_tab(chromium, stripe_shop, hosted_server, httpserver_ipv4, localstripe):  # noqa: F811
    yield from _stripe_tab(chromium, hosted_server, httpserver_ipv4, localstripe, MOBILE, is_mobile=True)


def type_card(page, number, cvc="123"):
    element = page.locator(ELEMENT)
    element.locator("input[placeholder=number]").fill(number)
    element.locator("input[placeholder=exp_month]").fill("12")
    element.locator("input[placeholder=exp_year]").fill("34")
    element.locator("input[placeholder=cvc]").fill(cvc)
    page.get_by_label("Name on card").fill("Ada Lovelace")


def pay(page):
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def test_pay_in_stripe_mode_the_card_goes_to_stripe_only(stripe_tab, stripe_shop, localstripe):  # noqa: F811
    session, link = new_checkout(stripe_shop)
    page = stripe_tab.page
    card_posts = []
    page.on("request", lambda r: card_posts.append(r) if r.method == "POST" else None)
    to_payment(page, link)
    expect(page.get_by_role("heading", name="Payment")).to_be_visible()
    expect(page.locator(f"{ELEMENT} input[placeholder=number]")).to_be_visible()
    assert page.locator("input[name=number], input[name=cvc]").count() == 0
    # Only the Element is left out: localstripe's stand-in inputs carry no labels, and in
    # production that box holds Stripe's own iframe, whose accessibility is Stripe's.
    stripe_tab.axe("stripe payment", exclude=[ELEMENT])
    type_card(page, CARD_OK)
    stripe_tab.snap("stripe-payment")
    pay(page)
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    stripe_tab.snap("stripe-success")

    order = Order.objects.get(session__public_id=session.public_id)
    expect(page.get_by_text(order.public_id)).to_be_visible()
    method = PaymentMethod.objects.get(merchant=stripe_shop.merchant)
    assert (method.gateway, method.last4) == ("stripe", "4242") and method.token.startswith("pm_")
    assert PaymentAttempt.objects.get(payment_method=method).gateway_reference.startswith("pi_")
    # The card number went to localstripe and nowhere else; our server got Stripe's ids.
    ours = [r for r in card_posts if r.url.startswith(stripe_shop_base(page))]
    assert ours and not [r for r in ours if CARD_OK in (r.post_data or "")]
    assert [r for r in card_posts if r.url.startswith(localstripe) and CARD_OK in (r.post_data or "")]


def stripe_shop_base(page) -> str:
    return re.match(r"^https?://[^/]+", page.url).group(0)


def test_three_d_secure_in_stripe_mode(stripe_phone_tab, stripe_shop):
    session, link = new_checkout(stripe_shop)
    page = stripe_phone_tab.page
    to_payment(page, link)
    type_card(page, CARD_3DS)
    pay(page)
    # Setting the card up asks the bank once (Stripe.js's dialog, localstripe's here) …
    page.get_by_role("button", name="Complete authentication").click()
    # … and this card asks again for the payment itself, on our processing page.
    expect(page.get_by_role("heading", name="Confirm the payment with your bank")).to_be_visible()
    stripe_phone_tab.snap("stripe-3ds-phone")
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    stripe_phone_tab.snap("stripe-3ds-success-phone")
    assert CheckoutSession.objects.get(public_id=session.public_id).status == "completed"


def test_three_d_secure_failed_in_stripe_mode(stripe_tab, stripe_shop):
    session, link = new_checkout(stripe_shop)
    page = stripe_tab.page
    to_payment(page, link)
    type_card(page, CARD_3DS)
    pay(page)
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_role("heading", name="Confirm the payment with your bank")).to_be_visible()
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("heading", name="Your payment didn't go through")).to_be_visible()
    stripe_tab.snap("stripe-3ds-failed")
    assert CheckoutSession.objects.get(public_id=session.public_id).status != "completed"
