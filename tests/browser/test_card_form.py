"""The card form with its script: spacing and brand as the number is typed, MM / YY,
inline errors announced, and the submit held back until the fields are right."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.journeys import new_checkout, to_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_number_spacing_brand_and_expiry_as_the_shopper_types(tab, shop):
    _, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    number = page.get_by_label("Card number")
    brand = page.locator("[data-card-brand]")
    assert number.get_attribute("inputmode") == "numeric" and number.get_attribute("autocomplete") == "cc-number"
    number.press_sequentially("4242424242424242")
    expect(number).to_have_value("4242 4242 4242 4242")
    expect(brand).to_have_text("Visa")
    # A complete, valid number moves the shopper on to the expiry date.
    expect(page.get_by_label("Expiry date")).to_be_focused()
    page.get_by_label("Expiry date").press_sequentially("1234")
    expect(page.get_by_label("Expiry date")).to_have_value("12 / 34")
    expect(page.get_by_label("Security code")).to_be_focused()
    tab.snap("card-form-visa")

    number.fill("")
    number.press_sequentially("378282246310005")
    expect(number).to_have_value("3782 822463 10005")
    expect(brand).to_have_text("American Express")
    assert page.get_by_label("Security code").get_attribute("maxlength") == "4"
    number.fill("")
    number.press_sequentially("5555555555554444")
    expect(brand).to_have_text("Mastercard")
    tab.axe("payment page, card typed")


def test_inline_errors_are_shown_announced_and_block_the_post(tab, shop):
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    number = page.get_by_label("Card number")
    number.press_sequentially("4242424242424241")  # fails the Luhn check
    expect(page.get_by_text("Your card number is incorrect.")).to_be_visible()
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_have_attribute("aria-describedby", re.compile("id_number_error"))
    page.get_by_label("Expiry date").press_sequentially("0120")
    page.get_by_label("Security code").focus()
    expect(page.get_by_text("Your card's expiry date is in the past.")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Pay (?!in )")).click()
    # Still on the payment page: nothing was posted, and the live region said why.
    live = page.locator("[data-card-live]")
    expect(live).to_contain_text("Your card number is incorrect.")
    expect(live).to_contain_text("Enter the name on your card.")
    expect(number).to_be_focused()
    assert page.url.endswith(f"/pay/{session.public_id}/payment")
    tab.snap("card-form-errors")
    tab.axe("payment page with errors")
    # Fixed, it pays.
    number.fill("")
    number.press_sequentially("4242424242424242")
    page.get_by_label("Expiry date").fill("")
    page.get_by_label("Expiry date").press_sequentially("1234")
    page.get_by_label("Security code").press_sequentially("123")
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_role("button", name=re.compile(r"^Pay (?!in )")).click()
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()


def test_the_summary_follows_the_delivery_choice(tab, shop):
    _, link = new_checkout(shop)
    page = tab.page
    page.goto(link)
    from tests.browser.journeys import fill_details

    fill_details(page)
    summary = page.locator(".summary .totals")
    page.get_by_role("radio", name=re.compile("Express")).check()
    expect(summary).to_contain_text("Express")
    express_total = summary.locator(".totals__row--grand dd").inner_text()
    page.get_by_role("radio", name=re.compile("Standard")).check()
    expect(summary).to_contain_text("Standard")
    assert summary.locator(".totals__row--grand dd").inner_text() != express_total
    expect(summary).to_contain_text("$63.60")
    tab.snap("delivery-summary")
    tab.axe("delivery page")
