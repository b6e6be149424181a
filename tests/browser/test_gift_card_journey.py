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


@pytest.mark.parametrize("tab_fixture", ["tab", "phone_tab"])
def test_the_success_page_and_receipt_list_each_part_with_what_it_paid(request, tab_fixture, shop):
    tab = request.getfixturevalue(tab_fixture)
    card, code = _card(shop)
    _, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    _add_gift_card(page, code)
    pay_with(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    # What each part paid, not the gift card's spent balance nor the order's total on the card.
    expect(page.get_by_test_id("paid-with")).to_have_text(
        [re.compile(rf"Gift card ···· {card.last4} · \$20\.00"), re.compile(r"Visa •••• 4242 · \$43\.60")]
    )
    expect(page.locator(".totals__row--wallet")).to_contain_text("−$20.00")
    expect(page.get_by_test_id("summary-amount-due")).to_contain_text("Paid by card")
    tab.snap(f"gift-card-split-success-{tab_fixture}")
    page.get_by_role("link", name="View receipt").click()
    expect(page.get_by_test_id("receipt-paid-with")).to_have_text(
        [f"Gift card ···· {card.last4} · $20.00", "Visa •••• 4242 · $43.60"]
    )
    tab.snap(f"gift-card-split-receipt-{tab_fixture}")
