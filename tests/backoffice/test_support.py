"""Support agents in the back office: notes on a session, a payment and an order (stored
as the API's support notes are, read back from the audit trail), and an order's
confirmation email sent again, once per click, by support agents and superusers only."""

import pytest
from django.core import mail

from checkout.models import CheckoutSession, Order, SessionEvent
from core.backoffice.roles import REFUND_REVIEWER, SUPPORT_AGENT
from merchants.audit.models import AuditEntry
from payments.models import PaymentEvent, PaymentTransaction
from tests.backoffice.helpers import signed_in, staff_user
from tests.checkout.finalize_helpers import finalize, pay, ready_session, session_url
from tests.concurrency import run_together
from tests.payments.helpers import ok

pytestmark = pytest.mark.django_db


def _order(api) -> Order:
    checkout_id = ready_session(api)["checkout_id"]
    pay(api, checkout_id)
    ok(finalize(api, checkout_id), 201)
    return Order.objects.select_related("session").get(session__public_id=checkout_id)


def _pages(order):
    payment = PaymentTransaction.objects.get(public_id=order.payment_intent_id)
    return [
        ("checkout_session", order.session.public_id, f"/admin/checkout/checkoutsession/{order.session.pk}/"),
        ("payment_intent", payment.public_id, f"/admin/payments/paymenttransaction/{payment.pk}/"),
        ("order", order.public_id, f"/admin/checkout/order/{order.pk}/"),
    ]


def _token(page: str, form: str = "support-notes") -> str:
    section = page.split(f'data-testid="{form}"')[1]
    return section.split('name="token" value="')[1].split('"')[0]


def test_a_support_agent_notes_a_session_a_payment_and_an_order(api):
    order = _order(api)
    agent = staff_user("sam", SUPPORT_AGENT)
    agent.first_name, agent.last_name = "Sam", "Agent"
    agent.save()
    client = signed_in(agent)
    for object_type, object_id, url in _pages(order):
        page = client.get(f"{url}change/")
        assert page.status_code == 200 and "No notes yet." in page.content.decode()
        note = f"Shopper called about {object_type}: parcel late."
        response = client.post(f"{url}support-note/", {"note": note, "token": _token(page.content.decode())})
        assert response.status_code == 302 and response["Location"] == f"{url}change/#support"
        entry = AuditEntry.objects.get(object_type=object_type, object_id=object_id, action="support_note")
        assert (entry.actor, entry.actor_type, entry.data["note"], entry.data["author"]) == (
            "staff:sam", "staff", note, "Sam Agent"
        )  # fmt: skip
        shown = client.get(f"{url}change/").content.decode().split('data-testid="support-notes"')[1]
        assert note in shown and "Sam Agent" in shown and "staff:sam" in shown
    # On the timelines, as the API's note is: the session's (the order's too) and the payment's.
    session_notes = SessionEvent.objects.filter(session=order.session, type="support_note")
    assert [event.data.get("order_id") for event in session_notes.order_by("id")] == [None, order.public_id]
    assert PaymentEvent.objects.filter(transaction__public_id=order.payment_intent_id, type="support_note").count() == 1


def test_a_double_click_is_one_note_and_an_empty_note_none(api):
    order = _order(api)
    client = signed_in(staff_user("sam", SUPPORT_AGENT))
    url = f"/admin/checkout/order/{order.pk}/"
    token = _token(client.get(f"{url}change/").content.decode())
    for _ in range(2):
        assert client.post(f"{url}support-note/", {"note": "Called back.", "token": token}).status_code == 302
    blank = _token(client.get(f"{url}change/").content.decode())
    page = client.post(f"{url}support-note/", {"note": "   ", "token": blank}, follow=True).content.decode()
    assert "Write the note first." in page
    assert AuditEntry.objects.filter(object_type="order", action="support_note").count() == 1


def test_roles_without_the_permission_see_no_form_and_are_refused(api):
    order = _order(api)
    reviewer = signed_in(staff_user("rita", REFUND_REVIEWER))
    url = f"/admin/checkout/order/{order.pk}/"
    page = reviewer.get(f"{url}change/").content.decode()
    assert 'name="note"' not in page and 'data-testid="resend-receipt"' not in page
    assert reviewer.post(f"{url}support-note/", {"note": "x", "token": "t1"}).status_code == 403
    assert reviewer.post(f"{url}resend-receipt/", {"token": "t2"}).status_code == 403
    assert reviewer.get(f"{url}resend-receipt/").status_code == 405  # POST only
    assert not AuditEntry.objects.filter(object_type="order").exists() and mail.outbox == []


def test_resend_the_receipt_to_the_shopper_or_a_typed_address_once_per_click(api, django_capture_on_commit_callbacks):
    order = _order(api)
    mail.outbox.clear()
    client = signed_in(staff_user("sam", SUPPORT_AGENT))
    url = f"/admin/checkout/order/{order.pk}/"
    token = _token(client.get(f"{url}change/").content.decode(), "resend-receipt")
    for _ in range(2):  # the same click twice
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{url}resend-receipt/", {"token": token, "email": ""}, follow=True)
    assert response.redirect_chain[-1][0] == f"{url}change/#support"
    assert "Already sent to ada@example.com" in response.content.decode()
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert mail.outbox[0].subject == f"Your order from {api.merchant.name} is confirmed"
    assert order.receipt_id in mail.outbox[0].body

    token = _token(client.get(f"{url}change/").content.decode(), "resend-receipt")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{url}resend-receipt/", {"token": token, "email": "ada.work@example.org"})
    assert [message.to for message in mail.outbox] == [["ada@example.com"], ["ada.work@example.org"]]

    trail = AuditEntry.objects.filter(object_type="order", object_id=order.public_id).order_by("id")
    assert [(entry.action, entry.actor, entry.data["to"]) for entry in trail] == [
        ("order.receipt_resend_requested", "staff:sam", "ada@example.com"),
        ("order.receipt_resent", "staff:sam", "ada@example.com"),
        ("order.receipt_resend_requested", "staff:sam", "ada.work@example.org"),
        ("order.receipt_resent", "staff:sam", "ada.work@example.org"),
    ]
    shown = client.get(f"{url}change/").content.decode().split('data-testid="resend-receipt"')[1]
    assert "to ada.work@example.org" in shown


def test_a_bad_address_is_refused_and_a_superuser_may_resend(api, django_capture_on_commit_callbacks):
    order = _order(api)
    mail.outbox.clear()
    root = signed_in(staff_user("root", superuser=True))
    url = f"/admin/checkout/order/{order.pk}/"
    token = _token(root.get(f"{url}change/").content.decode(), "resend-receipt")
    page = root.post(f"{url}resend-receipt/", {"token": token, "email": "not-an-address"}, follow=True)
    assert "That is not an email address." in page.content.decode() and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        root.post(f"{url}resend-receipt/", {"token": token, "email": ""})
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert root.post(f"/admin/checkout/order/{order.pk + 1000}/resend-receipt/", {"token": "z"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_same_click_racing_itself_queues_one_email(api):
    from checkout.services.support import order_receipt_resend

    order = _order(api)
    mail.outbox.clear()
    results = run_together(
        4,
        lambda i: order_receipt_resend(
            merchant_id=order.merchant_id, order_id=order.public_id, actor="staff:sam", request_token="click-1"
        ),
    )
    assert sorted(result.created for result in results) == [False, False, False, True], results
    assert AuditEntry.objects.filter(object_id=order.public_id, action="order.receipt_resend_requested").count() == 1
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


def test_a_note_written_by_api_shows_on_the_sessions_back_office_page(api):
    checkout_id = ready_session(api)["checkout_id"]
    note = {"note": "Shopper called about the decline.", "author": "amy"}
    ok(api.post(session_url(checkout_id, "support-note"), note, format="json"), 201)
    session = CheckoutSession.objects.get(public_id=checkout_id)
    page = signed_in(staff_user("sam", SUPPORT_AGENT)).get(f"/admin/checkout/checkoutsession/{session.pk}/change/")
    shown = page.content.decode().split('data-testid="support-notes"')[1]
    assert "Shopper called about the decline." in shown and "amy" in shown
