"""Pay later on a phone and on a desktop, in headless Chromium: a credit decline is read at
the top of the page, focused, and not offered again; the success page says what was paid
today and what is due when."""

import re

import pytest
from playwright.sync_api import expect

from checkout.models import CheckoutSession
from tests.browser.journeys import choose_standard_delivery, new_checkout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _to_payment(page, link, email):
    page.goto(link)
    page.get_by_role("link", name="Continue").click()
    page.get_by_label("Email").fill(email)
    address = page.get_by_role("group", name="Shipping address")
    address.get_by_label("Country").select_option("US")
    address.get_by_label("Full name").fill("Ada Lovelace")
    address.get_by_label("Address", exact=True).fill("1 Market St")
    address.get_by_label("City").fill("San Francisco")
    address.get_by_label("State / region").fill("CA")
    address.get_by_label("Postal code").fill("94105")
    page.get_by_role("button", name="Continue to delivery").click()
    choose_standard_delivery(page)


def test_a_credit_decline_on_a_phone_is_read_at_the_top_and_not_offered_again(phone_tab, shop):
    _, link = new_checkout(shop)
    page = phone_tab.page
    _to_payment(page, link, "shopper+decline@example.com")
    page.get_by_role("button", name=re.compile(r"^Pay in 4")).click()

    alert = page.locator("#pay-later-error")
    expect(alert).to_contain_text("Pay later isn't available for this order. Please pay by card.")
    expect(alert).to_be_focused()
    expect(alert).to_be_in_viewport()
    expect(page.locator("[data-plan]")).to_have_count(0)
    phone_tab.snap("pay-later-declined-390")
    # Back on the page later: still not offered, and the card form is there.
    page.goto(page.url.replace("/payment/later", "/payment"))
    phone_tab.failed_responses.clear()  # the decline answered 402 on purpose
    expect(page.locator("[data-plan]")).to_have_count(0)
    expect(page.get_by_label("Card number")).to_be_visible()


@pytest.mark.parametrize(
    "locale, paid_today, total", [("en_US", "Paid today", "$63.60"), ("de_DE", "Heute bezahlt", "63,60")]
)
def test_the_pay_in_4_success_page_shows_what_was_paid_today_and_the_schedule(tab, shop, locale, paid_today, total):
    session, link = new_checkout(shop)
    page = tab.page
    _to_payment(page, link, "ada@example.com")
    # The merchant's locale for the session: the pages from here on speak it.
    CheckoutSession.objects.filter(pk=session.pk).update(locale=locale)
    page.locator("[data-plan=pay_in_4]").click()
    expect(page).to_have_url(re.compile(r"/simulator/bnpl/"))
    page.get_by_label(re.compile("Card number|Kartennummer")).fill("4242 4242 4242 4242")
    page.get_by_label(re.compile(r"Expiry|Ablauf")).fill("12 / 34")
    page.get_by_label(re.compile("Security code|Sicherheitscode|Prüfnummer")).fill("123")
    page.locator("button[value=agree]").click()

    expect(page.get_by_test_id("paid-today")).to_contain_text("15")
    expect(page.get_by_text(paid_today)).to_be_visible()
    expect(page.get_by_test_id("success-installments").locator("tbody tr")).to_have_count(4)
    assert total in page.content()
    tab.snap(f"pay-in-4-success-1280-{locale}")
    page.set_viewport_size({"width": 390, "height": 844})
    tab.snap(f"pay-in-4-success-390-{locale}")
