"""axe-core on every hosted page a shopper can reach (and the 3-D Secure test page at
phone width): no serious or critical violation."""

import re

import pytest
from playwright.sync_api import expect

from checkout.services.sessions import sessions_expire_due
from tests.browser.journeys import fill_details, new_checkout, pay_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_page_of_a_card_journey_at_phone_width(phone_tab, shop):
    session, link = new_checkout(shop)
    tab, page = phone_tab, phone_tab.page
    page.goto(link)
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    tab.axe("review")
    page.get_by_role("link", name="Continue").click()
    page.get_by_role("button", name="Continue to delivery").click()
    expect(page.get_by_role("heading", name=re.compile("Please fix these"))).to_be_visible()
    tab.axe("details with errors")
    page.get_by_role("link", name="Review (completed)").click()
    fill_details(page)
    expect(page.get_by_role("heading", name="Delivery")).to_be_visible()
    tab.axe("delivery")
    page.get_by_role("radio", name=re.compile("Standard")).check()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Payment")).to_be_visible()
    tab.axe("payment")
    pay_with(page, "4000 0027 6000 3184")
    expect(page.get_by_role("heading", name="3-D Secure authentication")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tab.snap("mobile-3ds")
    tab.axe("3-D Secure test page")
    page.get_by_role("button", name="Fail authentication").click()
    expect(page.get_by_role("heading", name="Your payment didn't go through")).to_be_visible()
    tab.axe("payment failed")
    page.get_by_role("link", name="Try another card").click()
    pay_with(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    tab.axe("success")
    # The favicon is ours, served from our origin.
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.endswith("hosted/favicon.svg")
    page.get_by_role("link", name="View receipt").click()
    expect(page.get_by_role("heading", name=re.compile("Receipt for order"))).to_be_visible()
    tab.axe("receipt")


def test_waiting_declined_expired_and_invalid_link_pages(tab, shop):
    merchant = shop.merchant
    merchant.approval_mode = "merchant"
    merchant.save()
    session, link = new_checkout(shop)
    page = tab.page
    page.goto(link)
    fill_details(page)
    page.get_by_role("radio", name=re.compile("Standard")).check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Waiting for"))).to_be_visible()
    tab.axe("waiting for the merchant")
    shop.post(f"/v1/checkout/sessions/{session.public_id}/decline", {"reason": "Sold out."}, format="json")
    expect(page.get_by_role("heading", name=re.compile("couldn't accept your order"))).to_be_visible()
    tab.axe("declined")

    other, other_link = new_checkout(shop)
    page.goto(other_link)
    assert sessions_expire_due(now=other.expires_at) >= 1
    page.reload()
    expect(page.get_by_role("heading", name="This checkout has expired")).to_be_visible()
    tab.axe("expired")

    page.goto(other_link.split("?")[0] + "?token=not-a-token")
    expect(page.get_by_role("heading", name="This checkout link has expired or is invalid")).to_be_visible()
    tab.axe("invalid link")
    tab.failed_responses.clear()  # the invalid link answers 403 on purpose
