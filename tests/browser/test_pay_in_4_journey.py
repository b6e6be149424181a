"""A shopper chooses "Pay in 4" on the hosted page, agrees at the simulated provider and
lands on the success page, in headless Chromium; the schedule is then on the intent."""

import re

import pytest
from playwright.sync_api import expect

from checkout.models import Order
from payments.bnpl.models import Installment
from tests.browser.journeys import new_checkout, to_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pay_in_4_at_the_provider_ends_in_a_paid_order(tab, shop):
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    option = page.get_by_role("button", name="Pay in 4: 4 payments of $15.90, every 14 days")
    expect(option).to_be_visible()
    tab.snap("pay-in-4-option")
    option.click()

    expect(page).to_have_url(re.compile(r"/simulator/bnpl/"))
    expect(page.get_by_role("heading", name="Pay in 4: $63.60")).to_be_visible()
    expect(page.get_by_role("list", name="Payment schedule").get_by_role("listitem")).to_have_count(4)
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    tab.snap("pay-in-4-provider")
    page.get_by_role("button", name="Agree and pay $15.90 today").click()

    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    tab.snap("pay-in-4-success")
    order = Order.objects.get(session__public_id=session.public_id)
    assert order.amount == 6360
    states = list(Installment.objects.filter(plan__payment__public_id=order.payment_intent_id).order_by("sequence"))
    assert [(i.state, i.amount) for i in states] == [("paid", 1590)] + [("pending", 1590)] * 3
