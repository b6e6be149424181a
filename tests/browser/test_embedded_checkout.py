"""A shopper pays in German inside an iframe on the merchant's page (another loopback
origin), mounted by checkout.js with an embed token; the page hears the frame's events
and the shopper receives the confirmation email."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from checkout.hosted.policy import FRAME_ANCESTORS_SETTING
from checkout.models import Order
from tests.browser.journeys import fill_details, pay_with
from tests.hosted.helpers import SHOP_CART

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Northwind: checkout</title></head>
<body><main><h1>Northwind checkout</h1><div id="checkout"></div></main>
<script src="{base}/static/checkout.js"></script>
<script>
  window.checkoutEvents = [];
  Checkout.mount("#checkout", {{
    checkoutId: "{checkout_id}",
    token: "{token}",
    onEvent: function (event) {{ window.checkoutEvents.push(event); }},
  }});
</script></body></html>"""


def _event_types(page) -> list[str]:
    return page.evaluate("window.checkoutEvents.map(function (e) { return e.type; })")


def test_pay_in_german_inside_the_merchants_iframe(tab, shop, hosted_server, httpserver_ipv4):
    shop_origin = httpserver_ipv4.url_for("/").rstrip("/")
    shop.merchant.extra_settings = {FRAME_ANCESTORS_SETTING: [shop_origin]}
    shop.merchant.save()
    body = {**SHOP_CART, "locale": "de_DE",
            "return_urls": {"success_url": shop.success_url, "error_url": shop.error_url}}  # fmt: skip
    created = shop.post("/v1/checkout/sessions", body, format="json")
    assert created.status_code == 201, created.content
    checkout_id = created.json()["checkout_id"]
    token = shop.get(f"/v1/checkout/sessions/{checkout_id}/embed-token").json()["token"]
    httpserver_ipv4.expect_request("/checkout").respond_with_data(
        SHOP_PAGE.format(base=hosted_server.url, checkout_id=checkout_id, token=token), content_type="text/html"
    )

    page = tab.page
    page.goto(httpserver_ipv4.url_for("/checkout"))
    frame = page.frame_locator("iframe[title=Checkout]")
    expect(frame.get_by_role("heading", name="Bestellung prüfen")).to_be_visible()
    expect(frame.get_by_text("54,00 $").first).to_be_visible()
    tab.axe("embedded review", frame=page.frames[1])
    frame.get_by_role("link", name="Weiter").click()
    frame.get_by_label("E-Mail").fill("ada@example.com")
    address = frame.get_by_role("group", name="Lieferadresse")
    address.get_by_label("Land", exact=True).select_option("US")
    address.get_by_label("Vollständiger Name").fill("Ada Lovelace")
    address.get_by_label("Adresse", exact=True).fill("1 Market St")
    address.get_by_label("Stadt").fill("San Francisco")
    address.get_by_label("Bundesland / Region").fill("CA")
    address.get_by_label("Postleitzahl").fill("94105")
    frame.get_by_role("button", name="Weiter zum Versand").click()
    frame.get_by_role("radio", name=re.compile("Standard")).check()
    frame.get_by_role("button", name="Weiter zur Zahlung").click()

    expect(frame.get_by_role("heading", name="Zahlung")).to_be_visible()
    number = frame.get_by_label("Kartennummer")
    number.press_sequentially("4242424242424242")
    expect(number).to_have_value("4242 4242 4242 4242")
    expect(frame.locator("[data-card-brand]")).to_have_text("Visa")
    frame.get_by_label("Ablaufdatum").press_sequentially("1234")
    expect(frame.get_by_label("Ablaufdatum")).to_have_value("12 / 34")
    frame.get_by_label("Sicherheitscode").press_sequentially("123")
    frame.get_by_label("Name auf der Karte").fill("Ada Lovelace")
    tab.snap("embedded-german-payment")
    frame.get_by_role("button", name="63,60 $ bezahlen").click()

    expect(frame.get_by_role("heading", name="Vielen Dank! Ihre Zahlung war erfolgreich")).to_be_visible()
    order = Order.objects.get(session__public_id=checkout_id)
    # The merchant's page heard the frame: loaded on every page, then completed with the order.
    page.wait_for_function("window.checkoutEvents.some(function (e) { return e.type === 'checkout.completed'; })")
    completed = page.evaluate("window.checkoutEvents.filter(function (e) { return e.type === 'checkout.completed'; })")
    assert completed[0]["order_id"] == order.public_id and completed[0]["checkout_id"] == checkout_id
    assert "checkout.loaded" in _event_types(page) and "checkout.failed" not in _event_types(page)
    # The frame grew to its content: no inner scrollbar on the merchant's page.
    assert page.evaluate("document.querySelector('iframe').getBoundingClientRect().height") > 400
    # Still the merchant's page around it: no timed redirect inside the frame.
    assert page.url == httpserver_ipv4.url_for("/checkout")
    tab.snap("embedded-german-success")
    tab.axe("embedded success", frame=page.frames[1])

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"] and message.subject == "Ihre Bestellung bei Northwind Goods ist bestätigt"
    assert order.public_id in message.body and "63,60\xa0$" in message.body


def test_a_page_not_listed_cannot_frame_the_checkout(tab, shop, hosted_server, httpserver_ipv4):
    created = shop.post("/v1/checkout/sessions", SHOP_CART, format="json")
    checkout_id = created.json()["checkout_id"]
    token = shop.get(f"/v1/checkout/sessions/{checkout_id}/embed-token").json()["token"]
    httpserver_ipv4.expect_request("/checkout").respond_with_data(
        SHOP_PAGE.format(base=hosted_server.url, checkout_id=checkout_id, token=token), content_type="text/html"
    )
    page = tab.page
    page.goto(httpserver_ipv4.url_for("/checkout"))
    frame = page.frame_locator("iframe[title=Checkout]")
    expect(frame.get_by_role("heading", name="Review your order")).to_have_count(0, timeout=3000)
    assert page.evaluate("window.checkoutEvents.length") == 0
    # Chromium reports the refused frame on the console; that is the point of this test.
    tab.console_errors.clear()
    tab.failed_responses.clear()


def test_three_d_secure_inside_the_frame(tab, shop, hosted_server, httpserver_ipv4):
    shop_origin = httpserver_ipv4.url_for("/").rstrip("/")
    shop.merchant.extra_settings = {FRAME_ANCESTORS_SETTING: [shop_origin]}
    shop.merchant.save()
    body = {**SHOP_CART, "return_urls": {"success_url": shop.success_url, "error_url": shop.error_url}}
    checkout_id = shop.post("/v1/checkout/sessions", body, format="json").json()["checkout_id"]
    token = shop.get(f"/v1/checkout/sessions/{checkout_id}/embed-token").json()["token"]
    httpserver_ipv4.expect_request("/checkout").respond_with_data(
        SHOP_PAGE.format(base=hosted_server.url, checkout_id=checkout_id, token=token), content_type="text/html"
    )
    page = tab.page
    page.goto(httpserver_ipv4.url_for("/checkout"))
    frame = page.frame_locator("iframe[title=Checkout]")
    fill_details(frame)
    frame.get_by_role("radio", name=re.compile("Standard")).check()
    frame.get_by_role("button", name="Continue to payment").click()
    pay_with(frame, "4000 0027 6000 3184")
    expect(frame.get_by_role("heading", name="3-D Secure authentication")).to_be_visible()
    frame.get_by_role("button", name="Complete authentication").click()
    expect(frame.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    page.wait_for_function("window.checkoutEvents.some(function (e) { return e.type === 'checkout.completed'; })")
    tab.snap("embedded-3ds-success")
