"""The one audit trail answers "who did what" for every kind of object an operator asks
about (sessions, payments, refunds, disputes, fraud decisions and rules, settings, keys,
webhook endpoints) and every kind of actor (an API key, an OAuth client, a staff user in
the back office, a system job), each row with before/after and the request id."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import CheckoutSession
from checkout.tasks import expire_sessions
from merchants.models import ApiKey
from tests.backoffice.helpers import signed_in, staff_user
from tests.checkout.finalize_helpers import ready_session
from tests.payments.helpers import V1, ok
from tests.refunds.helpers import captured_intent, refund_url

pytestmark = pytest.mark.django_db

AUDIT = f"{V1}/audit"


def _entries(api, query=""):
    return ok(api.get(f"{AUDIT}?limit=100{query}"))["data"]


def _one(api, query):
    rows = _entries(api, query)
    assert len(rows) == 1, rows
    return rows[0]


def _form_data(page) -> dict:
    """What the browser would post back unchanged: the admin form and its inlines."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = value
    return data


def test_refunds_disputes_and_fraud_decisions_are_in_the_trail(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    refund = ok(
        api.post(refund_url(intent_id), {"reason": "requested_by_customer", "amount": 1000}, format="json",
                 HTTP_X_REQUEST_ID="req_refund_1"),
        201,
    )  # fmt: skip
    rows = _entries(api, f"&object_type=refund&object_id={refund['id']}")
    requested = rows[-1]  # newest first: the request is the oldest row
    assert (requested["request_id"], requested["actor_type"]) == ("req_refund_1", "api_key"), rows
    assert requested["after"]["amount"] == 1000 and requested["before"] is None

    decision = _one(api, "&object_type=fraud_assessment")
    assert decision["action"] == "decision.allowed" and decision["after"]["payment_intent_id"] == intent_id

    with django_capture_on_commit_callbacks(execute=True):
        call_command("simulator_dispute", intent_id)
    dispute = _entries(api, "&object_type=dispute")
    assert dispute and dispute[0]["after"]["status"] == "open", dispute
    assert dispute[0]["actor_type"] in {"gateway", "system"} and dispute[0]["request_id"]
    payment = _entries(api, f"&object_type=payment_intent&object_id={intent_id}")
    assert "state.disputed" in [row["action"] for row in payment]


def test_keys_settings_and_fraud_rules_changed_in_the_back_office_name_the_staff_user(api):
    client = signed_in(staff_user("eve", superuser=True))
    merchant = api.merchant
    response = client.post(
        "/admin/merchants/merchant/", {"action": "create_secret_key", "_selected_action": [merchant.pk]}
    )
    assert response.status_code == 302
    created = _one(api, "&object_type=api_key&actor_type=staff")
    assert (created["action"], created["actor"]) == ("created", "staff:eve")
    new_key = ApiKey.objects.get(lookup=created["object_id"])
    assert "digest" not in created["after"] and created["after"]["kind"] == "secret"

    response = client.post("/admin/merchants/apikey/", {"action": "revoke_now", "_selected_action": [new_key.pk]})
    assert response.status_code == 302
    revoked = _one(api, f"&object_id={new_key.lookup}&action=revoked")
    assert revoked["before"]["revoked_at"] is None and revoked["after"]["revoked_at"]

    page = client.get(f"/admin/merchants/merchant/{merchant.pk}/change/")
    data = _form_data(page)
    data["max_payment_attempts"] = 5
    response = client.post(f"/admin/merchants/merchant/{merchant.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = _one(api, "&object_type=settings&actor=staff:eve")
    assert changed["before"]["max_payment_attempts"] == 3 and changed["after"]["max_payment_attempts"] == 5


def test_api_keys_oauth_clients_and_system_jobs_are_told_apart(api, merchant_secrets):
    ok(api.patch(f"{V1}/settings", {"max_payment_attempts": 4}, format="json", HTTP_X_REQUEST_ID="req_key_1"))
    by_key = _one(api, "&object_type=settings&actor_type=api_key")
    assert by_key["request_id"] == "req_key_1" and by_key["actor"].startswith("merchant:sk_test_")

    oauth = APIClient()
    token = oauth.post(
        "/v1/oauth/token/",
        {"grant_type": "client_credentials", "client_id": merchant_secrets.oauth_client_id,
         "client_secret": merchant_secrets.oauth_client_secret},
    ).json()["access_token"]  # fmt: skip
    oauth.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    ok(oauth.post(f"{V1}/webhooks", {"url": "https://shop.example/hooks", "events": ["*"]}, format="json"), 201)
    hook = _one(api, "&object_type=webhook_endpoint")
    assert hook["actor"] == f"merchant:{merchant_secrets.oauth_client_id}" and hook["actor_type"] == "oauth_client"
    assert hook["action"] == "created" and hook["after"]["url"] == "https://shop.example/hooks"

    checkout_id = ready_session(api)["checkout_id"]
    CheckoutSession.objects.filter(public_id=checkout_id).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_sessions()
    expired = _one(api, f"&object_id={checkout_id}&action=status.expired")
    assert expired["actor_type"] == "system" and expired["actor"].startswith("system:")
    assert expired["before"]["status"] == "collecting" and expired["after"]["status"] == "expired"
    assert [row["object_id"] for row in _entries(api, "&actor_type=system&object_type=checkout_session")] == [
        checkout_id
    ]


def test_fraud_rules_and_list_entries_are_configuration_in_the_trail(api):
    rule = ok(api.get(f"{V1}/fraud/rules"))["data"][0]
    ok(api.patch(f"{V1}/fraud/rules/{rule['id']}", {"score": 10}, format="json"))
    updated = _one(api, f"&object_type=fraud_rule&object_id={rule['id']}")
    assert updated["action"] == "updated" and updated["actor_type"] == "api_key"
    assert (updated["before"]["score"], updated["after"]["score"]) == (rule["score"], 10)

    body = {"list": "block", "kind": "email", "value": "mallory@example.com"}
    entry = ok(api.post(f"{V1}/fraud/list-entries", body, format="json"), 201)
    ok(api.delete(f"{V1}/fraud/list-entries/{entry['id']}"))
    rows = _entries(api, f"&object_type=fraud_list_entry&object_id={entry['id']}")
    assert [row["action"] for row in rows] == ["deleted", "created"]
    assert rows[0]["before"]["value"] == "mallory@example.com" and rows[0]["after"] is None
