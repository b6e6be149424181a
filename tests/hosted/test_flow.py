"""The hosted flow page by page, through Django's test client (no JavaScript, like the
plainest browser): review → details → delivery → payment → outcome."""

import pytest

from checkout.models import CheckoutSession, Order
from payments.models import PaymentTransaction
from tests.hosted.helpers import (
    CARD_3DS,
    CARD_NO_FUNDS,
    DETAILS,
    SHOP_CART,
    open_checkout,
    pay,
    pay_page,
    ready_to_pay,
    submit_details,
    text,
)

pytestmark = pytest.mark.django_db


def test_the_link_grants_access_and_lands_on_the_review(browser, checkout_session):
    open_checkout(browser, checkout_session)
    landing = browser.get(pay_page(checkout_session))
    assert landing.status_code == 302
    assert landing["Location"] == pay_page(checkout_session, "review")
    review = browser.get(landing["Location"])
    assert review.status_code == 200
    page = text(review)
    assert "Blue mug" in page and "Logo T-shirt" in page
    assert "$29.00" in page  # 2 × 14.50, formatted by babel for USD/en_US
    assert "$54.00" in page


def test_details_errors_sit_next_to_their_fields_and_nothing_is_saved(browser, checkout_session):
    open_checkout(browser, checkout_session)
    version = CheckoutSession.objects.get(pk=checkout_session.pk).version
    response = submit_details(browser, checkout_session, **{"email": "not-an-email", "shipping-postal_code": "ABC"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_email_error"' in body
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_email_helptext id_email_error"' in body
    assert CheckoutSession.objects.get(pk=checkout_session.pk).version == version


def test_an_address_the_country_rules_refuse_is_reported_on_its_field(browser, checkout_session):
    open_checkout(browser, checkout_session)
    response = submit_details(browser, checkout_session, **{"shipping-postal_code": "ABCDE"})
    assert response.status_code == 200
    assert 'id="id_shipping-postal_code_error"' in response.content.decode()
    assert "postal code" in text(response)
    assert not checkout_session.addresses.exists()


def test_details_then_delivery_lead_to_the_payment_page_with_final_totals(browser, shop_api, checkout_session):
    standard, _ = shop_api.rates
    open_checkout(browser, checkout_session)
    response = submit_details(browser, checkout_session)
    assert response["Location"] == pay_page(checkout_session, "shipping")
    shipping = browser.get(response["Location"])
    assert "Standard" in text(shipping) and "Express" in text(shipping) and "Market Street store" in text(shipping)
    response = ready_to_pay(browser, checkout_session, standard)
    assert response["Location"] == pay_page(checkout_session, "payment")
    payment = browser.get(response["Location"])
    page = text(payment)
    # 54.00 + 5.00 shipping + 8.5% tax per line, rounded half up (2.47 + 2.13) = 63.60
    assert "Pay $63.60" in page
    session = CheckoutSession.objects.get(pk=checkout_session.pk)
    assert session.customer_email == "ada@example.com"
    assert session.addresses.filter(kind="billing", postal_code="94105").exists()


def test_paying_with_4242_finalizes_into_one_order_and_shows_success(browser, shop_api, checkout_session):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    response = pay(browser, checkout_session)
    assert response.status_code == 303
    assert response["Location"] == pay_page(checkout_session, "success")
    success = browser.get(response["Location"])
    page = text(success)
    assert "Thank you! Your payment was successful" in page
    order = Order.objects.get(session=checkout_session)
    assert order.public_id in page
    assert "Visa •••• 4242" in page
    assert f"https://shop.example/thanks?checkout_id={checkout_session.public_id}" in success.content.decode()
    assert CheckoutSession.objects.get(pk=checkout_session.pk).status == "completed"


def test_insufficient_funds_shows_a_shopper_safe_message_then_another_card_succeeds(
    browser, shop_api, checkout_session
):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    response = pay(browser, checkout_session, number=CARD_NO_FUNDS)
    assert response["Location"] == pay_page(checkout_session, "payment/failed")
    failed = browser.get(response["Location"])
    assert "Your card has insufficient funds." in text(failed)
    assert "Try another card" in text(failed)
    again = browser.get(pay_page(checkout_session, "payment"))
    assert "Your last payment didn't go through" in text(again)
    assert pay(browser, checkout_session)["Location"] == pay_page(checkout_session, "success")
    assert Order.objects.filter(session=checkout_session).count() == 1


def test_a_mistyped_number_is_an_error_on_the_field_and_costs_no_attempt(browser, shop_api, checkout_session):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    response = pay(browser, checkout_session, number="4242 4242 4242 4241")
    assert response.status_code == 200
    assert "Your card number is incorrect." in text(response)
    assert "4242 4242 4242 4241" not in response.content.decode()  # never echoed back
    assert not PaymentTransaction.objects.filter(reference=checkout_session.public_id).exists()


def test_three_d_secure_hands_off_to_the_bank_and_comes_back_to_success(browser, shop_api, checkout_session):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    response = pay(browser, checkout_session, number=CARD_3DS)
    assert response.status_code == 303
    challenge = response["Location"]
    assert "/simulator/3ds/" in challenge
    browser.get(challenge)
    done = browser.post(challenge, {"result": "complete"})
    assert done.status_code == 303
    redirect_return = browser.get(done["Location"])  # the payments API's redirect endpoint
    assert redirect_return.status_code == 302
    assert redirect_return["Location"].startswith(
        f"http://127.0.0.1:8000{pay_page(checkout_session, 'payment/return')}"
    )
    back = browser.get(redirect_return["Location"].removeprefix("http://127.0.0.1:8000"))
    assert back["Location"] == pay_page(checkout_session, "success")
    assert "Thank you!" in text(browser.get(back["Location"]))
    assert Order.objects.filter(session=checkout_session).exists()


def test_amounts_follow_the_session_currency_and_locale(browser, shop_api):
    body = {**SHOP_CART, "currency": "EUR", "locale": "de_DE"}
    response = shop_api.post("/v1/checkout/sessions", body, format="json")
    session = CheckoutSession.objects.get(public_id=response.json()["checkout_id"])
    open_checkout(browser, session)
    review = browser.get(pay_page(session, "review"))
    assert "29,00\xa0€" in review.content.decode()
    assert '<html lang="de-DE">' in review.content.decode()


def test_a_cart_with_nothing_to_ship_asks_only_for_billing_and_skips_delivery(browser, shop_api):
    lines = [
        {"sku": "EBOOK", "name": "Field guide (PDF)", "quantity": 1, "unit_amount": 1200, "requires_shipping": False}
    ]
    response = shop_api.post("/v1/checkout/sessions", {"currency": "USD", "lines": lines}, format="json")
    session = CheckoutSession.objects.get(public_id=response.json()["checkout_id"])
    open_checkout(browser, session)
    details = browser.get(pay_page(session, "details"))
    assert "Billing address" in text(details) and "Shipping address" not in text(details)
    assert "Delivery" not in text(details)  # no such step in the progress bar
    billing = {k.replace("shipping-", "billing-"): v for k, v in DETAILS.items() if k != "billing_same"}
    response = browser.post(pay_page(session, "details"), billing)
    assert response.status_code == 303 and response["Location"] == pay_page(session, "payment")
    assert "Pay $13.02" in text(browser.get(response["Location"]))  # 12.00 + 8.5% tax
