"""Stripe mode of the hosted payment page, server side, against localstripe: only a
SetupIntent made for this checkout, and set up at Stripe, pays. The browser journeys
(Stripe.js itself) are in tests/browser/test_stripe_mode.py."""

import pytest
import requests
from django.conf import settings

from checkout.models import Order
from payments.gateways.stripe import StripeGateway
from payments.models import PaymentAttempt, PaymentMethod
from tests.hosted.helpers import pay_page, ready_to_pay
from tests.payments.conftest import localstripe, stripe_settings  # noqa: F401
from tests.payments.helpers import THREE_DS
from tests.payments.test_stripe_gateway import socket_closed_port, stripe_js_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_checkout(browser, shop_api, checkout_session, stripe_settings):  # noqa: F811
    shop_api.merchant.gateway = "stripe"
    shop_api.merchant.save(update_fields=["gateway"])
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    return checkout_session


def setup_secret(browser, session) -> str:
    response = browser.post(pay_page(session, "payment/stripe-setup"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    return response.json()["client_secret"]


def stripe_js_confirms_setup(client_secret: str, payment_method="pm_card_visa") -> str:
    """What stripe.confirmCardSetup does in the browser (with the publishable key)."""
    setup_id = client_secret.split("_secret_")[0]
    response = requests.post(
        f"{settings.STRIPE_API_BASE}/v1/setup_intents/{setup_id}/confirm",
        json={"key": "pk_test_localstripe", "client_secret": client_secret, "payment_method": payment_method},
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["status"] == "succeeded", response.text
    return setup_id


def test_a_card_set_up_for_this_checkout_pays(browser, stripe_checkout):
    setup_id = stripe_js_confirms_setup(setup_secret(browser, stripe_checkout))
    response = browser.post(pay_page(stripe_checkout, "payment"), {"setup_intent": setup_id})
    assert response.status_code == 303 and response["Location"].endswith("/success")
    order = Order.objects.get(session__public_id=stripe_checkout.public_id)
    method = PaymentMethod.objects.get()
    assert (method.gateway, method.last4) == ("stripe", "4242")
    assert PaymentAttempt.objects.get(payment_method=method).transaction.public_id == order.payment_intent_id


def test_a_setup_made_for_another_checkout_pays_nothing(browser, stripe_checkout):
    other = StripeGateway().card_setup_create(metadata={"checkout_id": "cs_someone_else"}, idempotency_key="other:1")
    setup_id = stripe_js_confirms_setup(other["client_secret"])
    response = browser.post(pay_page(stripe_checkout, "payment"), {"setup_intent": setup_id})
    assert response.status_code == 200
    assert "This card was not set up for this checkout." in response.content.decode()
    assert not PaymentMethod.objects.exists() and not PaymentAttempt.objects.exists()


def test_an_unfinished_setup_or_none_pays_nothing(browser, stripe_checkout):
    unconfirmed = setup_secret(browser, stripe_checkout).split("_secret_")[0]
    response = browser.post(pay_page(stripe_checkout, "payment"), {"setup_intent": unconfirmed})
    assert response.status_code == 200 and "This card was not set up for this checkout." in response.content.decode()
    for bad in ({}, {"setup_intent": "pm_card_visa"}, {"setup_intent": "seti_x'; drop"}):
        assert browser.post(pay_page(stripe_checkout, "payment"), bad).status_code == 400
    assert not PaymentMethod.objects.exists() and not PaymentAttempt.objects.exists()


def test_the_setup_endpoint_is_for_stripe_checkouts(browser, shop_api, checkout_session):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    response = browser.post(pay_page(checkout_session, "payment/stripe-setup"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "stripe_mode_off"


def test_three_d_secure_is_handed_to_stripe_js_on_the_processing_page(browser, stripe_checkout, stripe_settings):  # noqa: F811
    secret = setup_secret(browser, stripe_checkout)
    setup_id = secret.split("_secret_")[0]
    card = stripe_js_card(THREE_DS)
    base = settings.STRIPE_API_BASE
    # Stripe.js: the card on the setup asks for 3-D Secure, the shopper passes, it confirms again.
    first = requests.post(
        f"{base}/v1/setup_intents/{setup_id}/confirm",
        json={"key": "pk_test_localstripe", "client_secret": secret, "payment_method": card},
        timeout=10,
    )
    assert first.json()["status"] == "requires_action"
    stripe_js_confirms_setup_again = requests.post(
        f"{base}/v1/setup_intents/{setup_id}/confirm",
        json={"key": "pk_test_localstripe", "client_secret": secret},
        timeout=10,
    )
    assert stripe_js_confirms_setup_again.json()["status"] == "succeeded"

    response = browser.post(pay_page(stripe_checkout, "payment"), {"setup_intent": setup_id})
    assert response.status_code == 303 and response["Location"].endswith("/payment/processing")
    page = browser.get(response["Location"]).content.decode()
    reference = PaymentAttempt.objects.get().gateway_reference
    assert f'data-client-secret="{reference}_secret_' in page and "data-stripe-card" not in page
    assert 'http-equiv="refresh"' not in page  # no reload while Stripe's dialog is open

    # Stripe unreachable: the step says so and offers to check again, never a card form.
    with socket_closed_port() as port:
        stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
        page = browser.get(response["Location"]).content.decode()
    assert 'data-client-secret=""' in page and "data-stripe-card" not in page
    assert "Confirm the payment with your bank" in page and "Check again" in page


def test_card_setups_count_against_the_card_testing_limits(browser, shop_api, stripe_checkout):
    merchant = shop_api.merchant
    merchant.extra_settings = {**merchant.extra_settings, "card_rate_limit_per_session": 2}
    merchant.save(update_fields=["extra_settings"])
    setup_secret(browser, stripe_checkout)
    setup_secret(browser, stripe_checkout)
    limited = browser.post(pay_page(stripe_checkout, "payment/stripe-setup"))
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited" and "client_secret" not in limited.json()
