"""The hosted payment step's "Add a gift card": applied amount, remove, what is left by card."""

import pytest
from django.core.cache import cache

from checkout.models import CheckoutSession, Order
from payments.wallet.models import GiftCard
from tests.hosted.helpers import CARD_NO_FUNDS, pay, pay_page, ready_to_pay, text
from tests.wallet.helpers import assert_ledgers_balance, issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _wallet(browser, session, **form):
    return browser.post(pay_page(session, "payment/wallet"), form)


def _balance(card):
    return GiftCard.objects.get(public_id=card["id"]).current_balance


def test_gift_card_then_card_pays_the_order(browser, shop_api, checkout_session):
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    card = issue(shop_api, 2000)
    added = _wallet(browser, checkout_session, action="apply", code=card["code"])
    assert added.status_code == 303
    page = text(browser.get(pay_page(checkout_session, "payment")))
    assert f"Gift card •••• {card['last4']}: −$20.00" in page
    total = CheckoutSession.objects.get(pk=checkout_session.pk).current_calculation.grand_total
    due = f"${(total - 2000) / 100:.2f}"
    assert f"Left to pay by card: {due}" in page and f"Pay {due}" in page
    assert _balance(card) == 2000  # nothing taken until paying
    paid = pay(browser, checkout_session)
    assert paid.status_code == 303
    assert browser.get(paid["Location"]).status_code in (200, 302)
    assert Order.objects.filter(session=checkout_session).exists()
    assert _balance(card) == 0
    assert_ledgers_balance()


def test_a_declined_card_leaves_the_gift_card_balance_untouched(browser, shop_api, checkout_session):
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    card = issue(shop_api, 1500)
    _wallet(browser, checkout_session, action="apply", code=card["code"])
    declined = pay(browser, checkout_session, number=CARD_NO_FUNDS)
    assert declined.status_code == 303 and declined["Location"].endswith("/payment/failed")
    assert _balance(card) == 1500
    assert not Order.objects.exists()
    assert_ledgers_balance()


def test_remove_and_wrong_codes(browser, shop_api, checkout_session):
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    wrong = _wallet(browser, checkout_session, action="apply", code="NOT-A-REAL-CODE")
    assert wrong.status_code == 404 and "find a gift card with that code" in text(wrong)
    card = issue(shop_api, 500)
    _wallet(browser, checkout_session, action="apply", code=card["code"])
    removed = _wallet(browser, checkout_session, action="remove", gift_card_id=card["id"])
    assert removed.status_code == 303
    assert "•••• " + card["last4"] not in text(browser.get(pay_page(checkout_session, "payment")))


def test_an_order_the_gift_card_covers_completes_without_a_card(browser, shop_api, checkout_session):
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    card = issue(shop_api, 100_000)
    _wallet(browser, checkout_session, action="apply", code=card["code"])
    page = text(browser.get(pay_page(checkout_session, "payment")))
    assert "nothing to pay by card" in page and "Card number" not in page
    done = _wallet(browser, checkout_session, action="complete")
    assert done.status_code == 303 and done["Location"].endswith("/success")
    order = Order.objects.get(session=checkout_session)
    assert _balance(card) == 100_000 - order.amount
    assert CheckoutSession.objects.get(pk=checkout_session.pk).status == "completed"


def test_the_success_page_lists_the_gift_card_and_the_card_with_what_each_paid(browser, shop_api, checkout_session):
    standard, _ = shop_api.rates
    ready_to_pay(browser, checkout_session, standard)
    card = issue(shop_api, 2000)
    _wallet(browser, checkout_session, action="apply", code=card["code"])
    total = CheckoutSession.objects.get(pk=checkout_session.pk).current_calculation.grand_total
    by_card = f"${(total - 2000) / 100:.2f}"
    paid = pay(browser, checkout_session)
    page = browser.get(paid["Location"], follow=True)
    shown = text(page)
    # The gift card's own part, not its spent live balance; the card for its part, not the total.
    assert f"Gift card ···· {card['last4']} −$20.00" in shown and "−$0.00" not in shown
    assert f"Paid by card {by_card}" in shown
    assert f"Gift card ···· {card['last4']} · $20.00" in shown
    assert f"Visa •••• 4242 · {by_card}" in shown
