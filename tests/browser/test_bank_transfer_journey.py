"""A shopper pays by bank transfer on the hosted page, in headless Chromium: chooses it
beside the card, reads and copies the instructions, and, once the merchant's statement
with the credit is imported, comes back to the same page and sees the order confirmed."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from checkout.models import Order
from payments.models import PaymentTransaction
from tests.browser.journeys import new_checkout, to_payment
from tests.reconciliation.helpers import line, statement_file, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IBAN_GROUPED = "DE89 3704 0044 0532 0130 00"


def offer_transfers(shop):
    body = {"bank_transfer": {"enabled": True, "iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
                              "account_holder": "Northwind Goods GmbH"}}  # fmt: skip
    response = shop.patch("/v1/checkout/settings", {"extra_settings": body}, format="json")
    assert response.status_code == 200, response.content


def choose_transfer(tab, shop, name):
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    choice = page.get_by_role("button", name="Pay by bank transfer")
    expect(choice).to_be_visible()
    expect(page.get_by_label("Card number")).to_be_visible()  # beside the card, not instead
    tab.snap(f"{name}-choice")
    tab.axe(f"{name} payment page")
    choice.click()
    expect(page.get_by_role("heading", name="Awaiting your transfer")).to_be_visible()
    return session


def test_a_transfer_paid_through_the_statement_ends_in_the_order(tab, shop):
    offer_transfers(shop)
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    session = choose_transfer(tab, shop, "bank-transfer")
    page = tab.page
    payment = PaymentTransaction.objects.get(reference=session.public_id)
    reference = payment.next_action["display_bank_transfer_instructions"]["reference"]

    instructions = page.get_by_test_id("transfer-instructions")
    expect(instructions).to_contain_text(IBAN_GROUPED)
    expect(instructions).to_contain_text("COBADEFFXXX")
    expect(page.get_by_test_id("transfer-amount")).to_have_text(f"${payment.amount // 100}.{payment.amount % 100:02d}")
    expect(page.get_by_label("Reference")).to_have_value(reference)
    expect(page.get_by_test_id("transfer-deadline")).to_contain_text(str(payment.action_expires_at.year))
    # The copy button puts the reference, exactly, on the clipboard.
    page.get_by_role("button", name="Copy reference").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == reference
    tab.snap("bank-transfer-instructions")
    tab.axe("bank transfer instructions")

    # Coming back later with the same link shows the same instructions.
    page.goto(page.url.rsplit("/payment/", 1)[0])
    expect(page.get_by_role("heading", name="Awaiting your transfer")).to_be_visible()

    # The merchant's bank statement arrives with the credit quoting the reference.
    credit = line(payment.amount, "", remittance=f"ORDER {reference}", day=timezone.localdate())
    imported = upload(shop, statement_file([credit], day=timezone.localdate()))
    assert imported.json()["lines"][0]["state"] == "matched"

    page.reload()
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    order = Order.objects.get(session__public_id=session.public_id)
    expect(page.get_by_text(order.public_id)).to_be_visible()
    expect(page.get_by_text("Bank transfer", exact=True)).to_be_visible()
    tab.snap("bank-transfer-success")
    assert PaymentTransaction.objects.get(pk=payment.pk).state == "completed"


def test_the_instructions_fit_a_phone(phone_tab, shop):
    offer_transfers(shop)
    choose_transfer(phone_tab, shop, "bank-transfer-phone")
    page = phone_tab.page
    # Nothing wider than the screen: the IBAN and the reference wrap or fit.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_label("Reference")).to_be_visible()
    phone_tab.snap("bank-transfer-instructions-phone")
    phone_tab.axe("bank transfer instructions on a phone")
