"""GET /audit: one append-only trail of state and configuration changes, per tenant."""

import pytest
from django.db import DatabaseError, connection, transaction

from merchants.audit.models import AuditEntry
from merchants.audit.services import actor_type_of
from merchants.services import merchant_settings_update
from tests.checkout.finalize_helpers import ready_session
from tests.payments.helpers import DECLINE, V1, attach, confirm, create_intent, ok, tokenize

pytestmark = pytest.mark.django_db

AUDIT = f"{V1}/audit"


def _entries(api, query=""):
    return ok(api.get(f"{AUDIT}?limit=100{query}"))["data"]


def test_a_settings_change_is_audited_with_its_actor_and_before_after(api):
    key = api.secrets.secret_key
    ok(api.patch(f"{V1}/settings", {"max_payment_attempts": 5}, format="json"))

    [entry] = _entries(api, "&object_type=settings")
    assert entry["id"].startswith("aud_") and entry["object"] == "audit_entry"
    assert entry["action"] == "settings.updated" and entry["object_id"] == api.merchant.public_id
    assert entry["actor"].startswith("merchant:sk_test_") and key.startswith(entry["actor"].split(":", 1)[1])
    assert entry["actor"] != f"merchant:{key}", "the secret itself never reaches the trail"
    assert entry["actor_type"] == "api_key"
    assert entry["before"]["max_payment_attempts"] == 3 and entry["after"]["max_payment_attempts"] == 5
    assert entry["data"] == {"changed": ["max_payment_attempts"]}


def test_session_and_payment_transitions_land_in_the_trail_and_filter_by_object(api):
    checkout_id = ready_session(api)["checkout_id"]
    payment = create_intent(api, checkout_id)
    ok(attach(api, payment["id"], tokenize(api, DECLINE)))
    assert confirm(api, payment["id"]).status_code == 402

    session_rows = _entries(api, f"&object_id={checkout_id}")
    assert {row["object_type"] for row in session_rows} == {"checkout_session"}
    started = [row for row in session_rows if row["action"] == "status.payment_processing"]
    assert started and started[0]["before"]["status"] != "payment_processing"
    assert started[0]["after"]["status"] == "payment_processing"

    payment_rows = _entries(api, f"&object_type=payment_intent&object_id={payment['id']}")
    actions = [row["action"] for row in payment_rows]
    assert "created" in actions and "state.failed" in actions
    failed = next(row for row in payment_rows if row["action"] == "state.failed")
    assert failed["before"]["state"] != "failed" and failed["after"]["state"] == "failed"
    # Newest first, like every list.
    times = [row["created_at"] for row in _entries(api)]
    assert times == sorted(times, reverse=True)


def test_filters_by_actor_type_and_date_and_refuses_bad_filters(api):
    ok(api.patch(f"{V1}/settings", {"max_payment_attempts": 4}, format="json"))
    merchant_settings_update(merchant_id=api.merchant.pk, changes={"max_payment_attempts": 6}, actor="system:limits")

    assert [row["actor"] for row in _entries(api, "&actor_type=system&object_type=settings")] == ["system:limits"]
    assert all(row["actor_type"] == "api_key" for row in _entries(api, "&actor_type=api_key"))
    assert _entries(api, "&actor=system:limits")[0]["after"]["max_payment_attempts"] == 6
    assert _entries(api, "&created_gte=2999-01-01T00:00:00Z") == []
    assert len(_entries(api, "&created_lte=2999-01-01T00:00:00Z&object_type=settings")) == 2

    response = api.get(f"{AUDIT}?actor_type=wizard")
    assert response.status_code == 400 and response.json()["error"]["param"] == "actor_type"
    assert api.get(f"{AUDIT}?created_gte=yesterday").status_code == 400


def test_another_tenant_sees_nothing_of_the_trail(api, other_api):
    checkout_id = ready_session(api)["checkout_id"]
    ok(api.patch(f"{V1}/settings", {"max_payment_attempts": 4}, format="json"))
    assert _entries(api)
    assert _entries(other_api, f"&object_id={checkout_id}") == []
    assert all(row["object_id"] != api.merchant.public_id for row in _entries(other_api))


def test_pages_with_a_cursor(api):
    for attempts in (4, 5, 6):
        ok(api.patch(f"{V1}/settings", {"max_payment_attempts": attempts}, format="json"))
    first = ok(api.get(f"{AUDIT}?object_type=settings&limit=2"))
    assert first["has_more"] is True and len(first["data"]) == 2
    second = ok(api.get(f"{AUDIT}?object_type=settings&limit=2&cursor={first['next_cursor']}"))
    assert [row["after"]["max_payment_attempts"] for row in first["data"] + second["data"]] == [6, 5, 4]


def test_audit_rows_carry_the_request_id_and_cannot_be_rewritten(api, monkeypatch):
    # The one place the request id is read (core.request_context), as the middleware sets it.
    monkeypatch.setattr("merchants.audit.services.current_request_id", lambda: "req-7f3a")
    merchant_settings_update(merchant_id=api.merchant.pk, changes={"max_payment_attempts": 7}, actor="staff:eve")
    entry = AuditEntry.objects.get(merchant=api.merchant, actor="staff:eve")
    assert entry.request_id == "req-7f3a" and entry.actor_type == "staff"
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(action="nothing.happened")


def test_the_request_id_comes_from_the_correlation_middleware():
    from django_guid import set_guid

    from core.request_context import current_request_id

    set_guid("req-1b2c")
    try:
        assert current_request_id() == "req-1b2c"
    finally:
        set_guid(None)
    assert current_request_id() == ""


@pytest.mark.parametrize(
    ("actor", "kind"),
    [
        ("merchant:sk_test_Ab12Cd34", "api_key"),
        ("merchant:3f1c0a9e-client", "oauth_client"),
        ("staff:eve", "staff"),
        ("system:deadlines", "system"),
        ("shopper", "shopper"),
        ("gateway:stripe", "gateway"),
        ("anonymous", "anonymous"),
    ],
)
def test_actor_types(actor, kind):
    assert actor_type_of(actor) == kind
