"""A payment held for a fraud review, in headless Chromium: the shopper reads "We're
checking your payment", the page's own script sent a device fingerprint, and once a
reviewer approves the page shows the result."""

import re

import pytest
from playwright.sync_api import expect

from checkout.models import CheckoutSession
from fraud.models import FraudAssessment
from fraud.services import review_decide
from merchants.services import merchant_settings_update
from tests.browser.journeys import new_checkout, pay_with, to_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewed_payment_shows_checking_then_the_result(tab, shop):
    merchant_settings_update(merchant_id=shop.merchant.pk, changes={"extra_settings": {"fraud_amount_threshold": 1000}})
    session, link = new_checkout(shop)
    page = tab.page
    to_payment(page, link)
    # The fingerprint script fills the hidden field before the shopper can submit.
    expect(page.locator("input[name=device_fingerprint]")).to_have_value(re.compile(r"^[0-9a-f]{64}$"))
    pay_with(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="We're checking your payment")).to_be_visible()
    tab.snap("fraud-review-checking")
    assessment = FraudAssessment.objects.get(reference=session.public_id)
    assert assessment.status == "in_review" and re.fullmatch(r"[0-9a-f]{64}", assessment.device_fingerprint)
    assert assessment.ip_address == "127.0.0.1"

    review_decide(merchant_id=shop.merchant.pk, assessment_id=assessment.public_id, approve=True, actor="staff:test")
    page.get_by_role("link", name="Check again").click()
    expect(page.get_by_role("heading", name="Thank you! Your payment was successful")).to_be_visible()
    tab.snap("fraud-review-approved")
    assert CheckoutSession.objects.get(public_id=session.public_id).status == "completed"
