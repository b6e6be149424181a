"""Test set-up for totals: rows the calculate service reads, written directly."""

from django.db import transaction

from checkout.locks import lock_session
from checkout.models import Address, CheckoutSession, PickupLocation, Promotion, ShippingRate, TaxRate
from checkout.services.lifecycle import session_transition


def url(checkout_id, action=""):
    return f"/v1/checkout/sessions/{checkout_id}" + (f"/{action}" if action else "")


def tax_rate(merchant, country="US", tax_code="", rate_bps=1000, name="Sales tax"):
    return TaxRate.objects.create(merchant=merchant, country=country, tax_code=tax_code, rate_bps=rate_bps, name=name)


def shipping_rate(merchant, *, amount=500, currency="USD", tax_code="shipping", name="Standard"):
    return ShippingRate.objects.create(
        merchant=merchant, name=name, carrier="UPS", service_code="ground", currency=currency, amount=amount,
        tax_code=tax_code,
    )  # fmt: skip


def pickup(merchant, country="US"):
    return PickupLocation.objects.create(merchant=merchant, name="Store", line1="1 Main St", city="X", country=country)


def promotion(merchant, code="SAVE10", **fields):
    values = {"kind": "percent", "percent_off_bps": 1000, **fields}
    return Promotion.objects.create(merchant=merchant, code=code, **values)


def set_address(checkout_id, kind="shipping", country="US"):
    session = CheckoutSession.objects.get(public_id=checkout_id)
    Address.objects.update_or_create(
        session=session, kind=kind, defaults={"country": country, "line1": "1 Road", "city": "Town"}
    )


def select_rate(checkout_id, rate):
    CheckoutSession.objects.filter(public_id=checkout_id).update(selected_shipping_rate=rate)


def select_pickup(checkout_id, location):
    CheckoutSession.objects.filter(public_id=checkout_id).update(pickup_location=location)


def set_email(checkout_id, email="shopper@example.com"):
    CheckoutSession.objects.filter(public_id=checkout_id).update(customer_email=email)


def transition(checkout_id, name):
    with transaction.atomic():
        session = lock_session(
            merchant_id=CheckoutSession.objects.get(public_id=checkout_id).merchant_id, checkout_id=checkout_id
        )
        session_transition(session, name, actor="test")


def ready_to_pay(api, checkout_id, merchant):
    """Email, address, shipping and a calculation: a session validate has nothing against."""
    set_email(checkout_id)
    set_address(checkout_id)
    select_rate(checkout_id, shipping_rate(merchant))
    response = api.post(url(checkout_id, "calculate"), {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()
