"""Driving the hosted pages with Django's test client, as a browser without JavaScript would."""

import re

from checkout.hosted_links import hosted_link
from checkout.models import CheckoutSession, TaxRate
from tests.checkout.factories import PickupLocationFactory, ShippingRateFactory
from tests.conftest import MerchantClient

CARD_OK = "4242 4242 4242 4242"
CARD_3DS = "4000 0027 6000 3184"
CARD_NO_FUNDS = "4000 0000 0000 9995"

SHOP_CART = {
    "currency": "USD",
    "lines": [
        {"sku": "MUG-BLUE", "name": "Blue mug", "quantity": 2, "unit_amount": 1450, "weight_grams": 400},
        {"sku": "TEE-L", "name": "Logo T-shirt", "quantity": 1, "unit_amount": 2500, "tax_code": "apparel"},
    ],
}

DETAILS = {
    "email": "ada@example.com",
    "phone": "+1 415 555 2671",
    "shipping-country": "US",
    "shipping-name": "Ada Lovelace",
    "shipping-line1": "1 Market St",
    "shipping-line2": "",
    "shipping-city": "San Francisco",
    "shipping-region": "CA",
    "shipping-postal_code": "94105",
    "billing_same": "on",
}


def shop_setup(merchant):
    """A rate table, a pickup point and a tax rate, so every step has something to show."""
    standard = ShippingRateFactory(
        merchant=merchant, name="Standard", carrier="USPS", amount=500, min_delivery_days=3, max_delivery_days=5
    )
    express = ShippingRateFactory(
        merchant=merchant, name="Express", carrier="UPS", amount=1500, min_delivery_days=1, max_delivery_days=2
    )
    PickupLocationFactory(merchant=merchant, name="Market Street store")
    TaxRate.objects.create(merchant=merchant, country="US", tax_code="", name="Sales tax", rate_bps=850)
    return standard, express


def session_create(
    api: MerchantClient, *, success_url="https://shop.example/thanks", error_url="https://shop.example/oops"
):
    body = {**SHOP_CART, "return_urls": {"success_url": success_url, "error_url": error_url}}
    response = api.post("/v1/checkout/sessions", body, format="json")
    assert response.status_code == 201, response.content
    return CheckoutSession.objects.get(public_id=response.json()["checkout_id"])


def hosted_url(session: CheckoutSession) -> str:
    """The tokenized link as the merchant would hand it out, made relative for the client."""
    link = hosted_link(session).url
    return link[link.index("/pay/") :]


def open_checkout(client, session: CheckoutSession):
    """Opens the tokenized link; the client then holds the grant."""
    response = client.get(hosted_url(session))
    assert response.status_code == 302, response.content
    assert response["Location"] == f"/pay/{session.public_id}"
    return response


def pay_page(session: CheckoutSession, page: str = "") -> str:
    return f"/pay/{session.public_id}" + (f"/{page}" if page else "")


def submit_details(client, session, **overrides):
    return client.post(pay_page(session, "details"), {**DETAILS, **overrides})


def choose_delivery(client, session, value: str):
    return client.post(pay_page(session, "shipping"), {"choice": value})


def pay(client, session, number=CARD_OK, expiry="12 / 34", cvc="123", name="Ada Lovelace"):
    return client.post(pay_page(session, "payment"), {"number": number, "expiry": expiry, "cvc": cvc, "name": name})


def ready_to_pay(client, session, rate):
    """Grant, details and delivery: the session is placed and the payment page is next."""
    open_checkout(client, session)
    response = submit_details(client, session)
    assert response.status_code == 303, response.content.decode()[:2000]
    response = choose_delivery(client, session, f"rate:{rate.public_id}")
    assert response.status_code == 303, response.content.decode()[:2000]
    return response


def text(response) -> str:
    """The page's visible text, whitespace collapsed, for assertions on what a shopper reads."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())
