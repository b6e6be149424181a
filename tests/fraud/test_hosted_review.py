"""The hosted page with a payment held for review: the shopper reads "we're checking your
payment", then the result; the page's device fingerprint and IP reach the assessment."""

import pytest
from django.test import RequestFactory

from checkout.models import CheckoutSession, Order
from core.client_ip import client_ip
from fraud.models import FraudAssessment
from merchants.services import merchant_settings_update
from tests.hosted.helpers import CARD_OK, pay_page, ready_to_pay, text

pytestmark = pytest.mark.django_db(transaction=True)
DEVICE = "ab" * 32


def _held(browser, shop_api, checkout_session):
    merchant_settings_update(
        merchant_id=shop_api.merchant.pk, changes={"extra_settings": {"fraud_amount_threshold": 1000}}
    )
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    page = browser.get(pay_page(checkout_session, "payment")).content.decode()
    assert 'name="device_fingerprint"' in page and "hosted/fingerprint" in page
    response = browser.post(
        pay_page(checkout_session, "payment"),
        {"number": CARD_OK, "expiry": "12 / 34", "cvc": "123", "name": "Ada", "device_fingerprint": DEVICE},
        REMOTE_ADDR="127.0.0.7",
    )
    assert response.status_code == 303 and response["Location"] == pay_page(checkout_session, "payment/processing")
    checking = text(browser.get(response["Location"]))
    assert "We're checking your payment" in checking
    assessment = FraudAssessment.objects.get(reference=checkout_session.public_id)
    assert (assessment.status, assessment.device_fingerprint, assessment.ip_address) == (
        "in_review", DEVICE, "127.0.0.7",
    )  # fmt: skip
    assert assessment.email == "ada@example.com" and assessment.shipping_country == "US"
    return assessment


def test_a_reviewed_payment_shows_checking_then_success_once_approved(browser, shop_api, checkout_session):
    assessment = _held(browser, shop_api, checkout_session)
    assert browser.get(pay_page(checkout_session)).status_code == 302  # still held: back to checking
    shop_api.post(f"/v1/checkout/fraud/reviews/{assessment.public_id}/approve", {}, format="json")
    landing = browser.get(pay_page(checkout_session))
    assert landing["Location"] == pay_page(checkout_session, "success")
    success = text(browser.get(landing["Location"]))
    assert "Thank you! Your payment was successful" in success
    assert Order.objects.filter(session=checkout_session).exists()


def test_a_reviewed_payment_refused_says_the_payment_was_not_taken(browser, shop_api, checkout_session):
    assessment = _held(browser, shop_api, checkout_session)
    shop_api.post(f"/v1/checkout/fraud/reviews/{assessment.public_id}/reject", {}, format="json")
    assert CheckoutSession.objects.get(pk=checkout_session.pk).status == "failed"
    landing = browser.get(pay_page(checkout_session))
    closed = text(browser.get(landing["Location"]))
    assert "Thank you" not in closed
    assert not Order.objects.filter(session=checkout_session).exists()
    assert "We couldn't complete your payment" in closed and "it is released" in closed


def test_a_fingerprint_that_is_not_a_digest_is_dropped(browser, shop_api, checkout_session):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    browser.post(
        pay_page(checkout_session, "payment"),
        {"number": CARD_OK, "expiry": "12 / 34", "cvc": "123", "name": "Ada", "device_fingerprint": "<script>"},
    )
    assert FraudAssessment.objects.get(reference=checkout_session.public_id).device_fingerprint == ""


def test_client_ip_trusts_forwarded_for_only_behind_configured_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.66, 127.0.0.9")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "127.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "127.0.0.66"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer hops than proxies: the peer, never a guess
    assert client_ip(request) == "127.0.0.1"


def test_a_blocked_payment_reads_as_a_decline_in_the_shoppers_language(browser, shop_api, checkout_session):
    from fraud.services import list_entry_create

    list_entry_create(merchant_id=shop_api.merchant.pk, list="block", kind="ip_address", value="127.0.0.9")
    CheckoutSession.objects.filter(pk=checkout_session.pk).update(locale="de_DE")
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    response = browser.post(
        pay_page(checkout_session, "payment"),
        {"number": CARD_OK, "expiry": "12 / 34", "cvc": "123", "name": "Ada", "device_fingerprint": DEVICE},
        REMOTE_ADDR="127.0.0.9",
    )
    assert response.status_code == 402
    page = text(response)
    assert "Ihre Karte wurde abgelehnt. Bitte verwenden Sie eine andere Karte oder Zahlungsart." in page
    assert "The payment was declined" not in page and "fraud" not in page.lower()
    assert 'name="number"' in response.content.decode(), "the shopper may try another card"
