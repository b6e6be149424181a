"""A shopper pays with a gift card and a card on the hosted page, in headless Chromium."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from checkout.models import Order
from payments.wallet.models import GiftCard
from payments.wallet.services import gift_card_issue
from tests.browser.journeys import new_checkout, pay_with, to_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _card(shop, amount=2000):
    cache.clear()
    card, code = gift_card_issue(merchant_id=shop.merchant.pk, initial_balance=amount, currency="USD", actor="test")
    return card, code


def _add_gift_card(page, code):
    page.get_by_label("Gift card code").fill(code)
    page.get_by_role("button", name="Add a gift card").click()


def test_gift_card_plus_4242_pays_the_order(tab, shop):
    card, code = _card(shop)
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    _add_gift_card(page, code)
    expect(page.get_by_test_id("gift-card-applied")).to_have_text("−$20.00")
    expect(page.get_by_test_id("amount-due")).to_have_text("$43.60")
    expect(page.get_by_role("button", name=re.compile(r"^Pay \$43\.60$"))).to_be_visible()
    # The order summary beside the form says the same: the gift card's line, then what is due.
    expect(page.locator(".totals__row--wallet")).to_contain_text("−$20.00")
    expect(page.get_by_test_id("summary-amount-due")).to_contain_text("$43.60")
    tab.snap("gift-card-applied")
    pay_with(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    tab.snap("gift-card-success")
    assert Order.objects.get(session__public_id=session.public_id).amount == 6360
    assert GiftCard.objects.get(pk=card.pk).current_balance == 0


def test_a_declined_card_leaves_the_gift_card_untouched(tab, shop):
    card, code = _card(shop)
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    _add_gift_card(page, code)
    pay_with(page, "4000 0000 0000 9995")
    expect(page.get_by_role("heading", name="Your payment didn't go through")).to_be_visible()
    assert GiftCard.objects.get(pk=card.pk).current_balance == 2000
    assert not Order.objects.filter(session__public_id=session.public_id).exists()
