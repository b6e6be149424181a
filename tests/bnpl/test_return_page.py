"""The page a shopper lands on back from the BNPL provider, when the merchant gave no
return_url: it tells the truth while the first installment is still being charged (a real
Celery worker does it, as in production), says so when it is done, and speaks the
session's language."""

import uuid

import pytest
from django.test import Client

from config.celery import app as celery_app
from payments.models import PaymentTransaction
from tests.bnpl.helpers import complete_at_provider, confirm_bnpl
from tests.celery_worker import start_worker, stop_worker, wait_until
from tests.payments.helpers import DIGITAL_CART, V1, create_intent, ok

pytestmark = pytest.mark.django_db(transaction=True)

HTML = {"HTTP_ACCEPT": "text/html,*/*;q=0.8"}


def _intent_without_return_url(api, locale=None):
    cart = {key: value for key, value in DIGITAL_CART.items() if key != "return_urls"}
    if locale:
        cart["locale"] = locale
    session = ok(api.post(f"{V1}/sessions", cart, format="json"), 201)
    checkout_id = session["checkout_id"]
    ok(api.post(f"{V1}/sessions/{checkout_id}/calculate", {}, format="json"))
    ok(api.post(f"{V1}/sessions/{checkout_id}/customer", {"email": "ada@example.com"}, format="json"))
    intent = create_intent(api, checkout_id, payment_methods=["buy_now_pay_later"])
    PaymentTransaction.objects.filter(public_id=intent["id"]).update(return_url="")
    return ok(confirm_bnpl(api, intent["id"]))


@pytest.fixture
def queued(tmp_path):
    """Tasks go to a queue of this test's own, consumed only once the test starts a worker."""
    queue = f"test-return-{uuid.uuid4().hex[:12]}"
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    workers = []
    try:
        yield lambda: workers.append(start_worker(queue, tmp_path / "worker.log"))
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        for worker in workers:
            stop_worker(worker)


@pytest.mark.parametrize(
    "locale, confirming, succeeded, refused",
    [
        ("en_US", "Confirming your payment", "Payment successful", "nothing was charged"),
        ("de_DE", "Ihre Zahlung wird bestätigt", "Zahlung erfolgreich", "nichts abgebucht"),
    ],
)
def test_back_from_the_provider_the_page_waits_for_the_first_installment(
    api, queued, locale, confirming, succeeded, refused
):
    approved = _intent_without_return_url(api, locale)
    browser = Client()
    back = complete_at_provider(approved, browser=browser)
    assert back.status_code == 303 and "/v1/checkout/redirect/return" in back["Location"]

    page = browser.get(back["Location"], **HTML)
    text = page.content.decode()
    # The first installment is queued, not charged yet: not a failure, and the page refreshes.
    assert PaymentTransaction.objects.get(public_id=approved["id"]).state == "requires_action"
    assert confirming in text and '<meta http-equiv="refresh"' in text
    assert refused not in text
    assert page["Content-Language"] == locale[:2] and f'<html lang="{locale[:2]}">' in text
    # The JSON answer for an API client is unchanged.
    assert ok(browser.get(back["Location"]))["status"] == "requires_action"

    queued()
    wait_until(lambda: PaymentTransaction.objects.get(public_id=approved["id"]).state == "completed", timeout=60)
    done = browser.get(back["Location"], **HTML).content.decode()
    assert succeeded in done and "refresh" not in done and refused not in done


def test_a_shopper_who_leaves_the_provider_is_told_nothing_was_charged(api):
    approved = _intent_without_return_url(api, "de_DE")
    browser = Client()
    path = approved["next_action"]["url"].split("://", 1)[1].split("/", 1)[1]
    back = browser.post(f"/{path}", {"action": "cancel"})
    assert back.status_code == 303
    text = browser.get(back["Location"], **HTML).content.decode()
    assert "Zahlung nicht abgeschlossen" in text and "nichts abgebucht" in text and "refresh" not in text
