"""Back office: lists and read-only details; capture, void and reprocess through services,
each allowed only with its permission."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from core.money import format_minor
from payments.models import GatewayEvent, PaymentTransaction
from payments.services import webhooks
from tests.payments.helpers import SUCCESS, confirm, ok, paid_intent
from tests.payments.test_webhooks import post, simulator_event

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/payments/paymenttransaction/"


def login(*permissions, superuser=False, username="clerk"):
    users = get_user_model().objects
    if superuser:
        user = users.create_superuser("root", "root@example.com", "pw-not-used-elsewhere")
    else:
        user = users.create_user(username, f"{username}@example.com", "pw-not-used-elsewhere", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def authorized(api):
    _, intent = paid_intent(api, SUCCESS, capture_mode="manual")
    ok(confirm(api, intent["id"]))
    return PaymentTransaction.objects.get(public_id=intent["id"])


def test_list_filters_and_read_only_detail(authorized):
    staff = login(superuser=True)
    page = staff.get(
        CHANGELIST, {"state": "authorized", "gateway": "simulator", "merchant__id__exact": authorized.merchant_id}
    )
    assert page.status_code == 200 and authorized.public_id in page.content.decode()
    assert authorized.public_id not in staff.get(CHANGELIST, {"state": "completed"}).content.decode()
    detail = staff.get(f"{CHANGELIST}{authorized.pk}/change/").content.decode()
    assert "state.authorized" in detail and "gateway.authorize" in detail and authorized.attempts.get().public_id
    assert 'name="state"' not in detail and 'name="amount"' not in detail
    assert 'name="_save"' not in detail, "a page with nothing editable offers no Save"
    assert format_minor(authorized.amount, authorized.currency) in detail
    assert staff.get(f"{CHANGELIST}add/").status_code == 403


def _act(client, action, payment):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [payment.pk]}, follow=True)


def test_capture_action_needs_its_permission(authorized):
    viewer = login("view_paymenttransaction", "change_paymenttransaction", username="viewer")
    _act(viewer, "capture_selected", authorized)
    authorized.refresh_from_db()
    assert authorized.state == "authorized"

    clerk = login("view_paymenttransaction", "change_paymenttransaction", "capture_paymenttransaction")
    response = _act(clerk, "capture_selected", authorized)
    assert "Captured 1 payment(s)." in response.content.decode()
    authorized.refresh_from_db()
    assert authorized.state == "completed"
    assert authorized.events.filter(actor="staff:clerk", type="state.completed").exists()
    audit = LogEntry.objects.get(object_id=str(authorized.pk), user__username="clerk")
    assert audit.change_message == "Captured: authorized → completed; captured $0.00 → $50.00"
    # A second capture is refused by the service, and said so.
    assert "invalid_state_transition" in _act(clerk, "capture_selected", authorized).content.decode()


def test_void_action_calls_the_service(authorized):
    staff = login(superuser=True)
    assert "Voided 1 payment(s)." in _act(staff, "void_selected", authorized).content.decode()
    authorized.refresh_from_db()
    assert authorized.state == "cancelled"


def test_gateway_events_list_and_reprocess(api, anon_api, monkeypatch):
    _, intent = paid_intent(api)
    post(anon_api, simulator_event("evt_admin", "failed", payment_intent=intent["id"]))
    event = GatewayEvent.objects.get()
    monkeypatch.setattr(webhooks, "_handle", lambda notice, gateway: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        webhooks.gateway_event_process(event_pk=event.pk)
    monkeypatch.undo()
    staff = login(superuser=True)
    listing = staff.get("/admin/payments/gatewayevent/", {"status": "failed"}).content.decode()
    assert "evt_admin" in listing
    response = staff.post(
        "/admin/payments/gatewayevent/", {"action": "reprocess", "_selected_action": [event.pk]}, follow=True
    )
    assert [str(message) for message in response.context["messages"]] == ["evt_admin: processed."]
    event.refresh_from_db()
    assert event.status == "processed"
