"""The hosted payment page's "Pay in 4" option, through Django's test client: the plan is
offered with its amounts, choosing it goes to the provider, agreeing there comes back to
a paid order; a declined application says why and the card form stays."""

import html
import re

import pytest
from django.test import Client

from checkout.models import CheckoutSession, Order
from payments.bnpl.models import InstallmentPlan
from tests.hosted.helpers import choose_delivery, open_checkout, pay, pay_page, ready_to_pay, submit_details, text

pytestmark = pytest.mark.django_db(transaction=True)


def _choose(browser, session, plan="pay_in_4"):
    return browser.post(pay_page(session, "payment/later"), {"plan": plan})


def test_pay_in_4_on_the_hosted_page_ends_in_an_order(shop_api, checkout_session):
    browser = Client()
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    page = text(browser.get(pay_page(checkout_session, "payment")))
    assert "Or pay later" in page and "Pay in 4: 4 payments of $15.90, every 14 days" in page
    assert "3 monthly payments: 3 payments of $21.20, every month" in page

    to_provider = _choose(browser, checkout_session)
    assert to_provider.status_code == 303 and "/simulator/bnpl/" in to_provider["Location"]
    provider = re.sub(r"^https?://[^/]+", "", to_provider["Location"])
    assert "$15.90" in text(browser.get(provider))
    back = browser.post(provider, {"action": "agree", "number": "4242424242424242", "expiry": "12/34", "cvc": "123"})
    assert back.status_code == 303
    landing = browser.get(re.sub(r"^https?://[^/]+", "", back["Location"]), follow=True)
    assert "Thank you! Your payment was successful" in text(landing)
    # What was taken today, not the order's total, and the rest of the plan (as the receipt shows it).
    success = landing.content.decode()
    assert re.search(r"Paid today</dt><dd[^>]*>\$15\.90<", success) and "Order total</dt><dd>$63.60<" in success
    assert "Paid</dt>" not in success and "Pay later, Visa •••• 4242" in success
    rows = re.findall(r"<tr><td>[^<]+</td><td>(Paid|Due)</td><td class=\"num\">([^<]+)</td></tr>", success)
    assert rows == [("Paid", "$15.90"), ("Due", "$15.90"), ("Due", "$15.90"), ("Due", "$15.90")]
    order = Order.objects.get(session=checkout_session)
    assert order.amount == 6360
    plan = InstallmentPlan.objects.get()
    assert [i.amount for i in plan.installments.order_by("sequence")] == [1590, 1590, 1590, 1590]
    assert CheckoutSession.objects.get(pk=checkout_session.pk).status == "completed"


def test_a_declined_application_shows_why_and_the_card_still_pays(shop_api, checkout_session):
    browser = Client()
    standard, _ = shop_api.rates
    # The shopper's email decides at the simulated provider.
    open_checkout(browser, checkout_session)
    submit_details(browser, checkout_session, email="ada+decline@example.com")
    choose_delivery(browser, checkout_session, f"rate:{standard.public_id}")
    declined = _choose(browser, checkout_session)
    assert declined.status_code == 402
    assert "Pay later isn't available for this order. Please pay by card." in html.unescape(text(declined))
    body = declined.content.decode()
    assert 'name="number"' in body
    # The message opens the page, above the card form, focused (a phone shows the top of the page).
    assert body.index('id="pay-later-error"') < body.index('name="number"') and "autofocus" in body
    # The provider refused credit: its plans are not offered again to this shopper.
    assert "data-plan=" not in body
    again = browser.get(pay_page(checkout_session, "payment")).content.decode()
    assert "data-plan=" not in again and "Pay later isn&#x27;t available for this order" in again
    paid = pay(browser, checkout_session)
    assert paid.status_code == 303
    assert Order.objects.filter(session=checkout_session).exists()


def test_back_from_the_provider_while_the_first_installment_is_charged(shop_api, checkout_session, monkeypatch):
    # A real worker charges the first installment a moment after the shopper's return;
    # hold that task to see the page the shopper gets meanwhile.
    from payments.bnpl.tasks import installment_charge_task

    held = []
    monkeypatch.setattr(installment_charge_task, "delay", lambda pk: held.append(pk))
    browser = Client()
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    to_provider = _choose(browser, checkout_session)
    provider = re.sub(r"^https?://[^/]+", "", to_provider["Location"])
    # Left at the provider without agreeing: the page sends the shopper back there, as pay later.
    waiting = text(browser.get(pay_page(checkout_session, "payment/processing")))
    assert "Continue to Pay later" in waiting and "3-D Secure" not in waiting
    back = browser.post(provider, {"action": "agree", "number": "4242424242424242", "expiry": "12/34", "cvc": "123"})
    landing = browser.get(re.sub(r"^https?://[^/]+", "", back["Location"]), follow=True)
    page = landing.content.decode()
    assert "Confirming your payment" in text(landing) and "data-refresh=" in page
    assert "Continue to your bank" not in page and "3-D Secure" not in page
    assert len(held) == 1
    installment_charge_task.run(held[0])
    assert "Thank you! Your payment was successful" in text(browser.get(pay_page(checkout_session, ""), follow=True))


def test_a_total_that_does_not_divide_evenly_says_what_the_first_payment_is(shop_api, checkout_session):
    browser = Client()
    standard, _ = shop_api.rates
    type(standard).objects.filter(pk=standard.pk).update(amount=standard.amount + 1)  # 63.61 in all
    ready_to_pay(browser, checkout_session, standard)
    page = text(browser.get(pay_page(checkout_session, "payment")))
    assert "Pay in 4: $15.91 today, then 3 payments of $15.90, every 14 days" in page
    # What the provider's page then asks for today is that first amount.
    provider = re.sub(r"^https?://[^/]+", "", _choose(browser, checkout_session)["Location"])
    assert "$15.91" in text(browser.get(provider))
