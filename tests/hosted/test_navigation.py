"""Moving back and forth between the hosted steps without JavaScript: the step bar keeps
what the shopper completed, and the payment page leads back to the delivery step."""

import re

import pytest

from tests.hosted.helpers import open_checkout, pay_page, ready_to_pay, submit_details

pytestmark = pytest.mark.django_db


def _steps(response) -> dict[str, str]:
    """Each step's label and state (done, current, upcoming) from the step bar."""
    bar = re.search(r'<nav class="steps".*?</nav>', response.content.decode(), re.S)[0]
    items = re.findall(r'<li class="is-(\w+)".*?<span class="step__label">([^<]+)', bar, re.S)
    return {label.strip(): state for state, label in items}


def _links(response) -> list[str]:
    bar = re.search(r'<nav class="steps".*?</nav>', response.content.decode(), re.S)[0]
    return re.findall(r'<a class="step" href="([^"]+)"', bar)


def test_going_back_to_review_keeps_the_completed_steps(browser, shop_api, checkout_session):
    open_checkout(browser, checkout_session)
    first = browser.get(pay_page(checkout_session, "review"))
    assert _steps(first) == {"Review": "current", "Details": "upcoming", "Delivery": "upcoming", "Payment": "upcoming"}
    assert _links(first) == []

    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    back = browser.get(pay_page(checkout_session, "review"))
    assert _steps(back) == {"Review": "current", "Details": "done", "Delivery": "done", "Payment": "upcoming"}
    assert _links(back) == [pay_page(checkout_session, "details"), pay_page(checkout_session, "shipping")]
    details = browser.get(pay_page(checkout_session, "details"))
    assert _steps(details) == {"Review": "done", "Details": "current", "Delivery": "done", "Payment": "upcoming"}


def test_a_step_not_yet_completed_stays_upcoming_after_going_back(browser, checkout_session):
    open_checkout(browser, checkout_session)
    submit_details(browser, checkout_session)  # details done, delivery not chosen yet
    back = browser.get(pay_page(checkout_session, "review"))
    assert _steps(back) == {"Review": "current", "Details": "done", "Delivery": "upcoming", "Payment": "upcoming"}


def test_the_payment_page_links_back_to_delivery(browser, shop_api, checkout_session):
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    payment = browser.get(pay_page(checkout_session, "payment"))
    body = payment.content.decode()
    assert f'<a class="back" href="{pay_page(checkout_session, "shipping")}">← Back to delivery</a>' in body
    assert _steps(payment) == {"Review": "done", "Details": "done", "Delivery": "done", "Payment": "current"}
    # The link leads to the delivery step, with the chosen option still selected.
    delivery = browser.get(pay_page(checkout_session, "shipping"))
    assert delivery.status_code == 200
    assert re.search(rf'value="rate:{standard.public_id}" checked', delivery.content.decode())


def test_no_way_back_once_the_merchant_approved_the_order(browser, shop_api, checkout_session):
    merchant = shop_api.merchant
    merchant.approval_mode = "merchant"
    merchant.save()
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    approved = shop_api.post(f"/v1/checkout/sessions/{checkout_session.public_id}/approve", {}, format="json")
    assert approved.status_code == 200, approved.content
    payment = browser.get(pay_page(checkout_session, "payment"))
    assert payment.status_code == 200
    assert 'class="back"' not in payment.content.decode()
