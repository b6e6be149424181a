"""Steps a shopper takes in the browser, by label and role as a screen reader would."""

import re

from checkout.hosted_links import hosted_link
from tests.hosted.helpers import session_create


def new_checkout(shop, **kwargs):
    session = session_create(shop, success_url=shop.success_url, error_url=shop.error_url, **kwargs)
    return session, hosted_link(session).url


def fill_details(page):
    page.get_by_role("link", name="Continue").click()
    page.get_by_label("Email").fill("ada@example.com")
    address = page.get_by_role("group", name="Shipping address")
    address.get_by_label("Country").select_option("US")
    address.get_by_label("Full name").fill("Ada Lovelace")
    address.get_by_label("Address", exact=True).fill("1 Market St")
    address.get_by_label("City").fill("San Francisco")
    address.get_by_label("State / region").fill("CA")
    address.get_by_label("Postal code").fill("94105")
    page.get_by_role("button", name="Continue to delivery").click()


def choose_standard_delivery(page, button="Continue to payment"):
    page.get_by_role("radio", name=re.compile("Standard")).check()
    page.get_by_role("button", name=button).click()


def pay_with(page, number):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_role("button", name=re.compile(r"^Pay (?!in )")).click()


def to_payment(page, link):
    page.goto(link)
    fill_details(page)
    choose_standard_delivery(page)
