"""Every endpoint of sections 1–5 and 14 of the API document answers as documented, walked
from the document itself: a new endpoint or example there fails this suite until it is
served and tested."""

import pytest

from checkout.models import PickupLocation
from tests.contract.flow import (
    ADDRESS,
    CUSTOMER,
    V1,
    calculate,
    create_session,
    document_merchant,
    give_lines,
    ok,
    reserve,
    select_shipping,
    set_addresses,
    set_customer,
)
from tests.contract.seed import examples

pytestmark = pytest.mark.django_db

SECTIONS = {"1", "2", "3", "4", "5", "14"}
OURS = [e for e in examples() if e.section in SECTIONS]

# The endpoints whose example bodies the document gives as JSON; each is sent verbatim,
# every alternative, by the section tests (test_sessions_contract, test_shipping_totals_contract,
# test_reservations_contract).
JSON_EXAMPLES = {
    ("POST", "sessions"),
    ("POST", "sessions/{checkoutId}/select-shipping"),
    ("POST", "sessions/{checkoutId}/calculate"),
    ("POST", "sessions/{checkoutId}/reserve"),
}
# Where the document writes prose, the body a merchant would write from it.
PROSE_BODIES = {
    ("PATCH", "sessions/{checkoutId}"): {"metadata": {"source": "campaign_x"}, "extend_ttl_seconds": 300},
    ("POST", "sessions/{checkoutId}/customer"): CUSTOMER,
    ("POST", "sessions/{checkoutId}/shipping-address"): ADDRESS,
    ("POST", "sessions/{checkoutId}/billing-address"): ADDRESS,
    ("POST", "sessions/{checkoutId}/contact"): {"email": "ada@example.com", "phone": "+442071234567"},
    ("POST", "sessions/{checkoutId}/pickup-location"): {"pickup_location_id": "pul_store_1"},
    ("POST", "reservations/{reservationId}/extend"): {"expires_in_seconds": 600},
    ("POST", "sessions/{checkoutId}/holds/extend"): {"minutes": 10},
}
# What each documented endpoint answers when it works: the status and the fields the
# document names for it (the canonical session where it answers the session).
EXPECTED = {
    ("POST", "sessions"): (201, {"checkout_id", "cart_snapshot", "status", "expires_at", "client_token"}),
    ("GET", "sessions/{checkoutId}"): (200, {"customer", "shipping_address", "billing_address", "selected_shipping",
                                            "promotion_codes", "payment_intent", "status", "validation_results"}),
    ("PATCH", "sessions/{checkoutId}"): (200, {"customer", "metadata", "expires_at", "version"}),
    ("DELETE", "sessions/{checkoutId}"): (200, {"status"}),
    ("POST", "sessions/{checkoutId}/refresh"): (200, {"calculation_id", "validation_results"}),
    ("POST", "sessions/{checkoutId}/customer"): (200, {"customer"}),
    ("POST", "sessions/{checkoutId}/shipping-address"): (200, {"shipping_address"}),
    ("POST", "sessions/{checkoutId}/billing-address"): (200, {"billing_address"}),
    ("GET", "sessions/{checkoutId}/addresses"): (200, {"shipping_address", "billing_address"}),
    ("POST", "sessions/{checkoutId}/contact"): (200, {"customer"}),
    ("GET", "sessions/{checkoutId}/shipping-options"): (200, {"data"}),
    ("POST", "sessions/{checkoutId}/select-shipping"): (200, {"selected_shipping"}),
    ("POST", "sessions/{checkoutId}/pickup-location"): (200, {"pickup_location"}),
    ("POST", "sessions/{checkoutId}/calculate"): (200, {"lines", "adjustments", "tax_lines", "shipping", "fees",
                                                        "totals", "calculation_id", "calculated_at"}),
    ("GET", "sessions/{checkoutId}/totals"): (200, {"totals", "calculation_id"}),
    ("POST", "sessions/{checkoutId}/validate"): (200, {"blockers"}),
    ("POST", "sessions/{checkoutId}/reserve"): (201, {"reservation_id", "lines"}),
    ("GET", "reservations/{reservationId}"): (200, {"status", "expires_at"}),
    ("POST", "reservations/{reservationId}/extend"): (200, {"expires_at"}),
    ("POST", "reservations/{reservationId}/release"): (200, {"status"}),
    ("GET", "sessions/{checkoutId}/holds"): (200, {"data"}),
    ("POST", "sessions/{checkoutId}/holds/extend"): (200, {"expires_at"}),
}  # fmt: skip


def test_the_suite_knows_every_endpoint_and_example_of_its_sections():
    assert {(e.method, e.route) for e in OURS} == set(EXPECTED)
    assert {(e.method, e.route) for e in OURS if e.variants()} == JSON_EXAMPLES


def _prepared(api, merchant, route):
    """A session ready for the endpoint: lines, customer, addresses, shipping and totals;
    reserved when the endpoint is about a reservation or holds."""
    session = create_session(api, owner__type="guest", options__capture_mode="auto")
    checkout_id = session["checkout_id"]
    give_lines(api, checkout_id, session["version"])
    set_customer(api, checkout_id)
    set_addresses(api, checkout_id)
    select_shipping(api, checkout_id)
    calculate(api, checkout_id)
    reservation_id = None
    if route.startswith("reservations/") or "holds" in route:
        reservation_id = reserve(api, checkout_id)["reservation_id"]
    return checkout_id, reservation_id


@pytest.mark.parametrize("endpoint", OURS, ids=lambda e: f"{e.method} {e.route}")
def test_every_documented_endpoint_answers_its_fields(api, merchant, endpoint):
    document_merchant(merchant)
    PickupLocation.objects.create(merchant=merchant, public_id="pul_store_1", name="Covent Garden", line1="1 Long Acre",
                                  city="London", postal_code="WC2E 9LH", country="GB")  # fmt: skip
    key = (endpoint.method, endpoint.route)
    checkout_id, reservation_id = _prepared(api, merchant, endpoint.route)
    path = endpoint.route.replace("{checkoutId}", checkout_id).replace("{reservationId}", reservation_id or "")
    variants = endpoint.variants() or [PROSE_BODIES.get(key, {})]
    if endpoint.query:
        path = f"{path}?{endpoint.query}"
    elif key == ("GET", "sessions/{checkoutId}/shipping-options"):
        path = f"{path}?include_estimated_delivery_dates=true"
    status, fields = EXPECTED[key]
    for body in variants[:1] if endpoint.method != "POST" or endpoint.route != "sessions" else variants:
        method = getattr(api, endpoint.method.lower())
        response = method(f"{V1}/{path}", body, format="json") if endpoint.method != "GET" else method(f"{V1}/{path}")
        answer = ok(response, status)
        assert fields <= set(answer), (key, fields - set(answer))
        if status == 201:
            assert response["Location"]
