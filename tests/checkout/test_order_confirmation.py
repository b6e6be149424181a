"""The order confirmation email: sent after the order's transaction commits, once, in
HTML and text, with the receipt's lines, totals and link, in the shopper's language."""

import pytest
from django.core import mail

from checkout.models import Order, SessionEvent
from checkout.services.confirmation import order_confirmation_send
from tests.checkout.finalize_helpers import finalize, pay, ready_session
from tests.payments.helpers import V1, ok

pytestmark = pytest.mark.django_db

GERMAN_CART = {
    "currency": "EUR",
    "locale": "de_DE",
    "lines": [{"sku": "BOOK", "name": "Buch", "quantity": 2, "unit_amount": 1250, "requires_shipping": False}],
}


def _finalized(api, django_capture_on_commit_callbacks, cart=None):
    checkout_id = ready_session(api, cart)["checkout_id"]
    pay(api, checkout_id)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = ok(finalize(api, checkout_id), 201)["order"]
    return order, callbacks


def test_sent_once_after_commit_in_html_and_text(api, django_capture_on_commit_callbacks):
    order, callbacks = _finalized(api, django_capture_on_commit_callbacks)
    # Nothing leaves before the transaction that made the order has committed.
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Your order from {api.merchant.name} is confirmed"
    receipt_id = order["receipt"]["receipt_id"]
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    for body in (message.body, html):
        assert order["id"] in body and f"/receipts/{receipt_id}" in body
        assert "E-book" in body and "$50.00" in body and "4242" in body
    assert "Hello Ada," in message.body
    # A redelivered task, or both the hosted page and the API finalizing: still one email.
    order_pk = Order.objects.get(public_id=order["id"]).pk
    assert order_confirmation_send(order_pk=order_pk) is False
    assert len(mail.outbox) == 1
    assert SessionEvent.objects.filter(type="order.confirmation_emailed").count() == 1


def test_a_failed_send_is_retried_later(api, django_capture_on_commit_callbacks, monkeypatch):
    order, _ = _finalized(api, django_capture_on_commit_callbacks)
    order_pk = Order.objects.get(public_id=order["id"]).pk

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        order_confirmation_send(order_pk=order_pk)
    assert Order.objects.get(pk=order_pk).confirmation_emailed_at is None
    monkeypatch.undo()
    assert order_confirmation_send(order_pk=order_pk) is True
    assert len(mail.outbox) == 1


def test_german_session_gets_a_german_email_with_german_amounts(api, django_capture_on_commit_callbacks):
    order, callbacks = _finalized(api, django_capture_on_commit_callbacks, GERMAN_CART)
    for callback in callbacks:
        callback()
    message = mail.outbox[0]
    assert message.subject == f"Ihre Bestellung bei {api.merchant.name} ist bestätigt"
    assert "Hallo Ada," in message.body
    assert "Gesamtsumme: 25,00\xa0€" in message.body
    assert "Ihre Quittung" in message.body or "Ihr Beleg" in message.body
    assert "Zwischensumme" in message.alternatives[0][0]


def test_a_merchant_that_sends_its_own_confirmation_turns_ours_off(api, django_capture_on_commit_callbacks):
    response = api.patch(f"{V1}/settings", {"extra_settings": {"order_confirmation_email": False}}, format="json")
    assert response.status_code == 200, response.content
    _, callbacks = _finalized(api, django_capture_on_commit_callbacks)
    for callback in callbacks:
        callback()
    assert mail.outbox == []
