"""Bank transfer on the hosted pages: the choice beside the card, the instructions the
shopper copies into their bank (page and email, English and German), the page they come
back to while the money is on its way, and the statement's credit turning it into the
order."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from checkout.models import CheckoutSession, Order, SessionEvent
from checkout.services.transfer_instructions import EMAILED, transfer_instructions_send
from payments.models import PaymentTransaction
from tests.hosted.helpers import SHOP_CART, open_checkout, pay_page, ready_to_pay, text
from tests.reconciliation.helpers import line, statement_file, upload

pytestmark = pytest.mark.django_db

IBAN = "DE89370400440532013000"
IBAN_GROUPED = "DE89 3704 0044 0532 0130 00"


def offer_transfers(api, **extra):
    body = {"bank_transfer": {"enabled": True, "iban": IBAN, "account_holder": "Northwind Goods GmbH", **extra}}
    response = api.patch("/v1/checkout/settings", {"extra_settings": body}, format="json")
    assert response.status_code == 200, response.content


def german_session(api) -> CheckoutSession:
    body = {**SHOP_CART, "locale": "de_DE", "return_urls": {"success_url": "https://shop.example/thanks"}}
    response = api.post("/v1/checkout/sessions", body, format="json")
    assert response.status_code == 201, response.content
    return CheckoutSession.objects.get(public_id=response.json()["checkout_id"])


def choose_transfer(browser, session, callbacks):
    """Posts "Pay by bank transfer" and runs what waits for the commit (the listener that
    keeps the holds and queues the email), as production does after the response."""
    with callbacks(execute=True):
        response = browser.post(pay_page(session, "payment/transfer"))
    return response


def payment_of(session) -> PaymentTransaction:
    return PaymentTransaction.objects.get(public_id=CheckoutSession.objects.get(pk=session.pk).payment_intent_id)


def test_the_payment_page_offers_a_transfer_only_when_the_merchant_takes_them(browser, shop_api, checkout_session):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    page = browser.get(pay_page(checkout_session, "payment")).content.decode()
    assert "Pay by bank transfer" not in page
    # Posting it anyway (an old page, a crafted form) is a clear refusal, not a 500.
    refused = browser.post(pay_page(checkout_session, "payment/transfer"))
    assert refused.status_code == 400
    assert "take bank transfers at the moment" in text(refused)
    assert not PaymentTransaction.objects.filter(reference=checkout_session.public_id).exists()

    offer_transfers(shop_api)
    page = browser.get(pay_page(checkout_session, "payment"))
    words = text(page)
    assert "Or pay by bank transfer" in words and "Pay by bank transfer" in words
    assert f'action="/pay/{checkout_session.public_id}/payment/transfer"' in page.content.decode()
    # Beside the card form, not instead of it.
    assert "Card details" in words


def test_choosing_it_shows_the_instructions_and_the_page_to_come_back_to(
    browser, shop_api, checkout_session, django_capture_on_commit_callbacks
):
    offer_transfers(shop_api, bic="COBADEFFXXX")
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    response = choose_transfer(browser, checkout_session, django_capture_on_commit_callbacks)
    assert response.status_code == 303
    assert response["Location"] == pay_page(checkout_session, "payment/processing")

    payment = payment_of(checkout_session)
    given = payment.next_action["display_bank_transfer_instructions"]
    page = browser.get(response["Location"])
    body, words = page.content.decode(), text(page)
    assert "Awaiting your transfer" in words
    assert IBAN_GROUPED in words and "COBADEFFXXX" in words and "Northwind Goods GmbH" in words
    total = f"${payment.amount // 100}.{payment.amount % 100:02d}"
    assert f"Send {total} to the account below" in words
    # The reference is a read-only field (selectable, copyable without JavaScript) with
    # the copy button the script reveals.
    assert re.search(rf'<input id="transfer-reference"[^>]*value="{given["reference"]}"[^>]*readonly', body)
    assert "data-copy-button hidden" in body and "hosted/copy.js" in body
    # The deadline in the shopper's locale, and machine-readable.
    deadline = payment.action_expires_at
    assert f"{deadline:%B} {deadline.day}, {deadline.year}" in words
    assert f'datetime="{deadline.isoformat()}"' in body
    # It looks again now and then by itself (and without JavaScript through the meta refresh).
    assert 'http-equiv="refresh" content="60"' in body

    # Coming back with the same browser lands on it; choosing again (a reload of the
    # POST, a double click) keeps the same reference rather than making a second one.
    assert browser.get(pay_page(checkout_session))["Location"] == pay_page(checkout_session, "payment/processing")
    assert browser.post(pay_page(checkout_session, "payment/transfer")).status_code == 303
    assert payment_of(checkout_session).next_action == payment.next_action
    assert payment_of(checkout_session).attempt_count == 1


def test_the_statement_credit_completes_the_order_and_the_page_shows_success(
    browser, shop_api, checkout_session, django_capture_on_commit_callbacks
):
    offer_transfers(shop_api)
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    choose_transfer(browser, checkout_session, django_capture_on_commit_callbacks)
    payment = payment_of(checkout_session)
    given = payment.next_action["display_bank_transfer_instructions"]

    credit = line(payment.amount, "", remittance=f"Order {given['reference']}", day=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        body = upload(shop_api, statement_file([credit], day=timezone.localdate())).json()
    assert body["lines"][0]["state"] == "matched"
    assert payment_of(checkout_session).state == "completed"

    landing = browser.get(pay_page(checkout_session, "payment/processing"))
    assert landing.status_code == 302 and landing["Location"] == pay_page(checkout_session, "success")
    with django_capture_on_commit_callbacks(execute=True):
        success = browser.get(landing["Location"])
    assert success.status_code == 200
    order = Order.objects.get(session=checkout_session)
    words = text(success)
    assert order.public_id in words and "Payment Bank transfer" in words and "Bank_transfer" not in words
    # The order confirmation names how it was paid, not a card that never was.
    confirmation = mail.outbox[-1]
    assert confirmation.subject.endswith("is confirmed") and "Payment: Bank transfer" in confirmation.body
    assert "••••" not in confirmation.body
    assert CheckoutSession.objects.get(pk=checkout_session.pk).status == "completed"


def test_a_german_shopper_reads_german_instructions_and_email(browser, shop_api, django_capture_on_commit_callbacks):
    offer_transfers(shop_api)
    session = german_session(shop_api)
    ready_to_pay(browser, session, shop_api.rates[0])
    payment_words = text(browser.get(pay_page(session, "payment")))
    assert "Oder per Banküberweisung bezahlen" in payment_words
    choose_transfer(browser, session, django_capture_on_commit_callbacks)
    payment = payment_of(session)
    words = text(browser.get(pay_page(session, "payment/processing")))
    assert "Wir warten auf Ihre Überweisung" in words and "Verwendungszweck" in words
    assert "Kontoinhaber" in words and IBAN_GROUPED in words
    euros, cents = divmod(payment.amount, 100)
    assert f"Überweisen Sie {euros},{cents:02d} $" in words
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
              "November", "Dezember"]  # fmt: skip
    deadline = payment.action_expires_at
    assert f"{deadline.day}. {months[deadline.month - 1]} {deadline.year}" in words

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == f"Ihre Bestellung bei {shop_api.merchant.name}: Bezahlung per Banküberweisung"
    reference = payment.next_action["display_bank_transfer_instructions"]["reference"]
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert IBAN_GROUPED in part and reference in part and f"{euros},{cents:02d}" in part
        assert "Verwendungszweck" in part and "Zahlbar bis" in part
    assert message.alternatives[0][1] == "text/html" and 'lang="de"' in html


def test_the_instructions_are_emailed_once_after_commit(browser, shop_api, checkout_session,
                                                         django_capture_on_commit_callbacks):  # fmt: skip
    offer_transfers(shop_api)
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        browser.post(pay_page(checkout_session, "payment/transfer"))
    # Nothing leaves before the payment's transaction has committed.
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Your order from {shop_api.merchant.name}: pay by bank transfer"
    payment = payment_of(checkout_session)
    assert payment.next_action["display_bank_transfer_instructions"]["reference"] in message.body
    assert IBAN_GROUPED in message.body and "Hello Ada," in message.body

    # The task delivered again (acks_late), or the notice replayed: nothing more is sent.
    assert transfer_instructions_send(session_pk=checkout_session.pk, payment_intent_id=payment.public_id) is False
    assert len(mail.outbox) == 1
    assert SessionEvent.objects.filter(session=checkout_session, type=EMAILED).count() == 1


def test_a_failed_send_gives_the_claim_back_for_the_retry(browser, shop_api, checkout_session, monkeypatch,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    offer_transfers(shop_api)
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    with django_capture_on_commit_callbacks(execute=False):
        browser.post(pay_page(checkout_session, "payment/transfer"))
    payment = payment_of(checkout_session)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        transfer_instructions_send(session_pk=checkout_session.pk, payment_intent_id=payment.public_id)
    monkeypatch.undo()
    assert transfer_instructions_send(session_pk=checkout_session.pk, payment_intent_id=payment.public_id) is True
    assert len(mail.outbox) == 1


def test_no_email_once_the_transfer_no_longer_waits(browser, shop_api, checkout_session,
                                                     django_capture_on_commit_callbacks):  # fmt: skip
    offer_transfers(shop_api)
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    with django_capture_on_commit_callbacks(execute=False):
        browser.post(pay_page(checkout_session, "payment/transfer"))
    payment = payment_of(checkout_session)
    from payments.services.maintenance import payments_expire_due

    assert payments_expire_due(now=timezone.now() + timedelta(days=3, minutes=1)) == 1
    assert transfer_instructions_send(session_pk=checkout_session.pk, payment_intent_id=payment.public_id) is False
    assert mail.outbox == []
    # The session's page says so rather than showing stale instructions.
    page = Client()
    open_checkout(page, checkout_session)
    assert "Awaiting your transfer" not in text(page.get(pay_page(checkout_session), follow=True))


@pytest.mark.django_db(transaction=True)
def test_choosing_it_in_several_tabs_at_once_makes_one_transfer_and_one_email(shop_api, checkout_session):
    from tests.concurrency import run_together

    offer_transfers(shop_api)
    ready_to_pay(Client(), checkout_session, shop_api.rates[0])
    tabs = [Client() for _ in range(3)]
    for tab in tabs:
        open_checkout(tab, checkout_session)

    answers = run_together(3, lambda i: tabs[i].post(pay_page(checkout_session, "payment/transfer")))
    assert [getattr(answer, "status_code", answer) for answer in answers] == [303, 303, 303]
    assert {answer["Location"] for answer in answers} == {pay_page(checkout_session, "payment/processing")}
    payments = PaymentTransaction.objects.filter(reference=checkout_session.public_id)
    assert [(p.state, p.attempt_count) for p in payments] == [("requires_action", 1)]
    # Every tab shows the one reference the shopper must quote.
    reference = payments[0].next_action["display_bank_transfer_instructions"]["reference"]
    for tab in tabs:
        assert f'value="{reference}"' in tab.get(pay_page(checkout_session, "payment/processing")).content.decode()
    assert len(mail.outbox) == 1 and reference in mail.outbox[0].body
