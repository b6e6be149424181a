"""Sections 1 and 2 of the API document, and the canonical session resource.

Bodies are the document's, sent verbatim (every `a|b` alternative); where the document
writes prose the body is spelled out (tests.contract.flow). Each documented response field
is asserted by name, so renaming one fails here.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import CheckoutSession, Reservation
from tests.contract.flow import (
    ADDRESS,
    CART_LINES,
    CUSTOMER,
    V1,
    assert_shape,
    calculate,
    create_session,
    document_body,
    document_merchant,
    give_lines,
    ok,
    reserve,
    select_shipping,
    set_addresses,
    set_customer,
)
from tests.contract.seed import canonical_session, example

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc_api(api, merchant):
    document_merchant(merchant)
    return api


def _iso(value: str):
    return timezone.datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- 1. session lifecycle ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    example("POST", "sessions").variants(),
    ids=lambda b: "-".join([b["owner"]["type"], b["options"]["capture_mode"]]),
)
def test_create_accepts_the_document_body_verbatim(doc_api, body):
    response = doc_api.post(f"{V1}/sessions", body, format="json")
    assert response.status_code == 201, response.content
    session = response.json()
    # Response: `{ checkout_id, cart_snapshot, status: created, expires_at, client_token }`
    assert session["checkout_id"].startswith("cs_")
    assert response["Location"] == session["links"]["self"]
    assert response["Location"].endswith(f"{V1}/sessions/{session['checkout_id']}")
    assert session["status"] == "created"
    assert _iso(session["expires_at"]) > timezone.now()
    assert isinstance(session["client_token"], str) and session["client_token"]
    assert session["cart_snapshot"] == {
        "cart_id": "cart_123",
        "currency": "GBP",
        "lines": [],
        "item_count": 0,
        "sub_total": 0,
    }
    # Every field sent comes back as sent.
    assert session["cart_id"] == body["cart_id"]
    assert session["owner"] == body["owner"]
    assert session["currency"] == body["currency"]
    assert session["channel"] == body["channel"]
    assert session["metadata"] == body["metadata"]
    assert session["options"] == body["options"]


def test_capture_mode_automatic_is_an_alias_answered_as_auto(doc_api):
    body = document_body("POST", "sessions", owner__type="user", options__capture_mode="auto")
    session = ok(doc_api.post(f"{V1}/sessions", {**body, "options": {"capture_mode": "automatic"}}, format="json"), 201)
    assert session["options"]["capture_mode"] == "auto"
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).capture_mode == "automatic"
    # A session without its own mode shows the merchant's default, in the same spelling.
    plain = ok(doc_api.post(f"{V1}/sessions", {"cart_id": "c"}, format="json"), 201)
    assert plain["options"]["capture_mode"] == "auto"


def test_a_plain_string_owner_is_read_as_a_user(doc_api):
    session = ok(doc_api.post(f"{V1}/sessions", {"cart_id": "c", "owner": "cust_9"}, format="json"), 201)
    assert session["owner"] == {"type": "user", "id": "cust_9"}
    assert ok(doc_api.post(f"{V1}/sessions", {"cart_id": "c"}, format="json"), 201)["owner"] is None


@pytest.mark.parametrize(
    "owner,param",
    [({"type": "admin", "id": "x"}, "owner.type"), ({"type": "guest"}, "owner.id"), (7, "owner")],
)
def test_a_bad_owner_is_400_naming_it(doc_api, owner, param):
    response = doc_api.post(f"{V1}/sessions", {"cart_id": "c", "owner": owner}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert CheckoutSession.objects.count() == 0


def test_an_empty_cart_is_refused_by_calculate_reserve_and_payment(doc_api):
    session = create_session(doc_api, owner__type="guest", options__capture_mode="auto")
    url = f"{V1}/sessions/{session['checkout_id']}"
    for step, body in (("calculate", {"force": True, "timeout_ms": 5000}), ("reserve", {})):
        response = doc_api.post(f"{url}/{step}", body, format="json")
        assert response.status_code == 409, (step, response.content)
        assert response.json()["error"]["code"] == "cart_empty"
    payment = doc_api.post(f"{url}/payment-intents", {}, format="json")
    assert payment.status_code == 409
    assert payment.json()["error"]["code"] == "calculation_missing"
    blockers = ok(doc_api.post(f"{url}/validate"))["blockers"]
    assert "cart_empty" in {b["code"] for b in blockers}


def test_get_answers_the_canonical_resource(doc_api):
    session = create_session(doc_api, owner__type="user", options__capture_mode="manual")
    got = ok(doc_api.get(f"{V1}/sessions/{session['checkout_id']}"))
    canonical = canonical_session()
    assert set(canonical) <= set(got)
    assert got["owner"] == canonical["owner"]
    assert got["status"] in {
        "created", "collecting", "reserved", "payment_processing", "completed", "failed", "canceled"
    }  # fmt: skip
    nullable = {f"session.{key}" for key in ("calculation_id", "totals", "shipping_address", "billing_address",
                                              "selected_shipping", "reservation_id", "payment_intent")}  # fmt: skip
    assert_shape(got, canonical, nullable=nullable)
    assert isinstance(got["version"], int) and isinstance(got["metadata"], dict)
    # "validation issues": what blocks payment, as POST /validate lists it.
    assert got["validation_results"]["valid"] is False
    assert "cart_empty" in {b["code"] for b in got["validation_results"]["blockers"]}


def test_patch_customer_info_metadata_and_ttl_with_if_match(doc_api):
    session = create_session(doc_api, owner__type="guest", options__capture_mode="auto")
    url = f"{V1}/sessions/{session['checkout_id']}"
    etag = f'"{session["version"]}"'
    before = _iso(session["expires_at"])
    patched = ok(
        doc_api.patch(
            url,
            {
                "customer": {"email": "Ada@Example.com", "customer_id": "user_1"},
                "metadata": {"step": "2"},
                "extend_ttl_seconds": 600,
            },  # fmt: skip
            format="json",
            HTTP_IF_MATCH=etag,
        )
    )
    assert patched["customer"]["email"] == "Ada@example.com"
    assert patched["customer"]["customer_id"] == "user_1"
    assert patched["metadata"] == {"step": "2"}
    assert abs((_iso(patched["expires_at"]) - before - timedelta(seconds=600)).total_seconds()) < 2
    assert patched["version"] > session["version"]
    # The ETag read before is stale now.
    stale = doc_api.patch(url, {"metadata": {}}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "precondition_failed"
    # expires_in_seconds sets the expiry from now; beyond a day is refused, naming the field.
    set_ttl = ok(doc_api.patch(url, {"expires_in_seconds": 120}, format="json"))
    assert abs((_iso(set_ttl["expires_at"]) - timezone.now()).total_seconds() - 120) < 5
    too_long = doc_api.patch(url, {"extend_ttl_seconds": 86400}, format="json")
    assert too_long.status_code == 400 and too_long.json()["error"]["param"] == "extend_ttl_seconds"
    both = doc_api.patch(url, {"extend_ttl_seconds": 60, "expires_in_seconds": 60}, format="json")
    assert both.status_code == 400


def test_lines_given_later_by_patch(doc_api):
    session = create_session(doc_api, owner__type="guest", options__capture_mode="auto")
    patched = give_lines(doc_api, session["checkout_id"], session["version"])
    assert patched["cart_snapshot"]["item_count"] == 3
    assert patched["cart_snapshot"]["sub_total"] == 5000
    assert [line["sku"] for line in patched["cart_snapshot"]["lines"]] == [line["sku"] for line in CART_LINES]


def _reserved_session(api):
    session = create_session(api, owner__type="guest", options__capture_mode="auto")
    checkout_id = session["checkout_id"]
    give_lines(api, checkout_id, session["version"])
    set_customer(api, checkout_id)
    set_addresses(api, checkout_id)
    select_shipping(api, checkout_id)
    calculate(api, checkout_id)
    return checkout_id, reserve(api, checkout_id)["reservation_id"]


@pytest.mark.parametrize("query,released", [("?release_inventory=true", True), ("", True),
                                            ("?release_inventory=false", False)])  # fmt: skip
def test_delete_honours_release_inventory(doc_api, query, released):
    checkout_id, reservation_id = _reserved_session(doc_api)
    canceled = ok(doc_api.delete(f"{V1}/sessions/{checkout_id}{query}"))
    assert canceled["status"] == "canceled"
    status = Reservation.objects.get(public_id=reservation_id).status
    assert status == ("released" if released else "active")


def test_delete_with_a_bad_release_inventory_is_400(doc_api):
    session = create_session(doc_api, owner__type="guest", options__capture_mode="auto")
    response = doc_api.delete(f"{V1}/sessions/{session['checkout_id']}?release_inventory=maybe")
    assert response.status_code == 400 and response.json()["error"]["param"] == "release_inventory"
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).status == "created"


def test_refresh_answers_calculation_id_and_validation_results(doc_api):
    session = create_session(doc_api, owner__type="guest", options__capture_mode="auto")
    checkout_id = session["checkout_id"]
    empty = ok(doc_api.post(f"{V1}/sessions/{checkout_id}/refresh"))
    assert empty["calculation_id"] is None
    assert empty["validation_results"]["valid"] is False
    assert "cart_empty" in {b["code"] for b in empty["validation_results"]["blockers"]}

    give_lines(doc_api, checkout_id, empty["version"])
    set_customer(doc_api, checkout_id)
    set_addresses(doc_api, checkout_id)
    select_shipping(doc_api, checkout_id)
    first = calculate(doc_api, checkout_id)
    refreshed = ok(doc_api.post(f"{V1}/sessions/{checkout_id}/refresh"))
    # A refresh recalculates: a new calculation, current, nothing blocking.
    assert refreshed["calculation_id"] and refreshed["calculation_id"] != first["calculation_id"]
    assert refreshed["validation_results"] == {"valid": True, "blockers": []}


# --- 2. customer & addresses ---------------------------------------------------------------


def test_customer_takes_email_phone_customer_id_and_save_for_later(doc_api):
    session = create_session(doc_api, owner__type="user", options__capture_mode="auto")
    answer = set_customer(doc_api, session["checkout_id"])
    assert answer["customer"] == {
        **answer["customer"],
        "email": CUSTOMER["email"],
        "phone": "+447911123456",
        "customer_id": "user_1",
        "save_for_later": True,
    }
    # Recorded, and reversible.
    off = ok(doc_api.post(f"{V1}/sessions/{session['checkout_id']}/customer", {"save_for_later": False}, format="json"))
    assert off["customer"]["save_for_later"] is False
    assert off["customer"]["customer_id"] == "user_1"


def test_contact_and_addresses_with_validation_status(doc_api):
    session = create_session(doc_api, owner__type="guest", options__capture_mode="auto")
    url = f"{V1}/sessions/{session['checkout_id']}"
    contact = ok(
        doc_api.post(f"{url}/contact", {"email": "grace@example.com", "phone": "020 7123 4568"}, format="json")
    )
    assert (contact["customer"]["email"], contact["customer"]["phone"]) == ("grace@example.com", "+442071234568")
    shipping = ok(doc_api.post(f"{url}/shipping-address", ADDRESS, format="json"))
    assert shipping["shipping_address"]["postal_code"] == "SW1A 2AA"
    billing = ok(doc_api.post(f"{url}/billing-address", {**ADDRESS, "line1": "1 Horse Guards Rd"}, format="json"))
    assert billing["billing_address"]["line1"] == "1 Horse Guards Rd"
    addresses = ok(doc_api.get(f"{url}/addresses"))
    for kind in ("shipping_address", "billing_address"):
        assert addresses[kind]["validation_status"] == "valid"
        assert addresses[kind]["validation_messages"] == []
    # options.require_billing_address from the create body is honoured.
    assert addresses["billing_address_required"] is True
    # An address that cannot be right is refused, naming the field; nothing is stored.
    bad = doc_api.post(f"{url}/shipping-address", {**ADDRESS, "postal_code": "12345"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "postal_code"
    assert ok(doc_api.get(f"{url}/addresses"))["shipping_address"]["postal_code"] == "SW1A 2AA"


def test_require_billing_address_blocks_payment_until_given(doc_api):
    session = create_session(doc_api, owner__type="guest", options__capture_mode="auto")
    checkout_id = session["checkout_id"]
    give_lines(doc_api, checkout_id, session["version"])
    set_customer(doc_api, checkout_id)
    ok(doc_api.post(f"{V1}/sessions/{checkout_id}/shipping-address", ADDRESS, format="json"))
    select_shipping(doc_api, checkout_id)
    calculate(doc_api, checkout_id)
    blockers = ok(doc_api.post(f"{V1}/sessions/{checkout_id}/validate"))["blockers"]
    assert {b["code"] for b in blockers} == {"missing_billing_address"}
    refused = doc_api.post(f"{V1}/sessions/{checkout_id}/payment-intents", {}, format="json")
    assert refused.status_code == 409
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
        "missing_billing_address",
        "billing_address",
    )
    ok(doc_api.post(f"{V1}/sessions/{checkout_id}/billing-address", ADDRESS, format="json"))
    calculate(doc_api, checkout_id)  # the billing address may move the totals: calculate again
    paying = doc_api.post(f"{V1}/sessions/{checkout_id}/payment-intents", {}, format="json")
    assert paying.status_code == 201, paying.content
    assert paying["Location"].endswith(f"{V1}/payment-intents/{paying.json()['id']}")


def test_patch_owner_and_capture_mode_take_both_spellings(doc_api):
    session = create_session(doc_api, owner__type="guest", options__capture_mode="manual")
    url = f"{V1}/sessions/{session['checkout_id']}"
    patched = ok(
        doc_api.patch(
            url, {"owner": {"type": "user", "id": "user_7"}, "options": {"capture_mode": "automatic"}}, format="json"
        )  # fmt: skip
    )
    assert (patched["owner"], patched["options"]["capture_mode"]) == ({"type": "user", "id": "user_7"}, "auto")
    assert ok(doc_api.patch(url, {"owner": None}, format="json"))["owner"] is None


def test_customer_id_and_reference_must_agree(doc_api):
    session = create_session(doc_api, owner__type="user", options__capture_mode="auto")
    url = f"{V1}/sessions/{session['checkout_id']}/customer"
    response = doc_api.post(url, {"customer_id": "user_1", "reference": "user_2"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["param"] == "customer_id"
    assert ok(doc_api.get(f"{V1}/sessions/{session['checkout_id']}"))["customer"]["customer_id"] == ""
