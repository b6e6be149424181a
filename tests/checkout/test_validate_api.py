from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import CheckoutSession, Promotion, SessionEvent
from core.models import IdempotencyKey
from merchants.models import Merchant
from tests.checkout.pricing_helpers import (
    pickup,
    promotion,
    ready_to_pay,
    select_pickup,
    select_rate,
    set_address,
    set_email,
    shipping_rate,
    url,
)

pytestmark = pytest.mark.django_db


def validate(client, checkout_id, **headers):
    return client.post(url(checkout_id, "validate"), **headers)


def codes(response):
    assert response.status_code == 200, response.content
    return [b["code"] for b in response.json()["blockers"]]


def test_fresh_session_lists_every_blocker(api, session):
    response = validate(api, session["checkout_id"])
    body = response.json()
    assert body["valid"] is False and body["checkout_id"] == session["checkout_id"]
    assert codes(response) == ["missing_email", "missing_shipping_address", "shipping_not_selected",
                               "calculation_missing"]  # fmt: skip
    by_code = {b["code"]: b for b in body["blockers"]}
    assert by_code["missing_shipping_address"]["param"] == "shipping_address"
    assert by_code["shipping_not_selected"]["param"] == "shipping"
    assert all(b["message"] for b in body["blockers"])


def test_ready_session_is_valid(api, session):
    ready_to_pay(api, session["checkout_id"], api.merchant)
    response = validate(api, session["checkout_id"])
    assert response.json() == {
        "object": "checkout.validation",
        "checkout_id": session["checkout_id"],
        "valid": True,
        "blockers": [],
    }


def test_stale_calculation_after_patching_lines(api, session, cart):
    checkout_id = session["checkout_id"]
    ready_to_pay(api, checkout_id, api.merchant)
    api.patch(url(checkout_id), {"lines": cart["lines"][:1]}, format="json")
    assert codes(validate(api, checkout_id)) == ["stale_calculation"]
    api.post(url(checkout_id, "calculate"), {}, format="json")
    assert codes(validate(api, checkout_id)) == []


def test_billing_address_when_required(api, session):
    checkout_id = session["checkout_id"]
    ready_to_pay(api, checkout_id, api.merchant)
    CheckoutSession.objects.filter(public_id=checkout_id).update(require_billing_address=True)
    response = validate(api, checkout_id)
    assert codes(response) == ["missing_billing_address"]
    assert response.json()["blockers"][0]["param"] == "billing_address"
    set_address(checkout_id, "billing", "US")
    assert codes(validate(api, checkout_id)) == []


def test_pickup_replaces_address_and_shipping(api, session):
    checkout_id = session["checkout_id"]
    set_email(checkout_id)
    select_pickup(checkout_id, pickup(api.merchant))
    api.post(url(checkout_id, "calculate"), {}, format="json")
    assert codes(validate(api, checkout_id)) == []


def test_nothing_to_ship_needs_no_address_or_shipping(api, cart):
    cart["lines"] = [{"sku": "EBOOK", "name": "E-book", "quantity": 1, "unit_amount": 999, "requires_shipping": False}]
    checkout_id = api.post("/v1/checkout/sessions", cart, format="json").json()["checkout_id"]
    assert codes(validate(api, checkout_id)) == ["missing_email", "calculation_missing"]


def test_lapsed_promotion_is_a_blocker(api, session):
    checkout_id = session["checkout_id"]
    promotion(api.merchant, "SAVE10")
    ready_to_pay(api, checkout_id, api.merchant)
    api.post(url(checkout_id, "calculate"), {"promotion_codes": ["SAVE10"]}, format="json")
    assert codes(validate(api, checkout_id)) == []
    Promotion.objects.filter(code="SAVE10").update(ends_at=timezone.now() - timedelta(seconds=1))
    response = validate(api, checkout_id)
    assert codes(response) == ["invalid_promotion"]
    assert response.json()["blockers"][0]["param"] == "promotion_codes"
    assert "expired" in response.json()["blockers"][0]["message"]


def test_several_stored_codes_is_a_blocker(api, session):
    CheckoutSession.objects.filter(public_id=session["checkout_id"]).update(promotion_codes=["A", "B"])
    assert "invalid_promotion" in codes(validate(api, session["checkout_id"]))


def test_currency_dropped_by_the_merchant(api, session):
    checkout_id = session["checkout_id"]
    ready_to_pay(api, checkout_id, api.merchant)
    Merchant.objects.filter(pk=api.merchant.pk).update(supported_currencies=["EUR"])
    assert codes(validate(api, checkout_id)) == ["currency_not_supported"]


def test_shipping_rate_in_another_currency(api, session):
    checkout_id = session["checkout_id"]
    ready_to_pay(api, checkout_id, api.merchant)
    select_rate(checkout_id, shipping_rate(api.merchant, currency="EUR"))
    assert codes(validate(api, checkout_id)) == ["shipping_rate_invalid"]


def test_closed_session(api, session):
    api.delete(url(session["checkout_id"]))
    assert codes(validate(api, session["checkout_id"]))[0] == "session_not_open"


def test_validate_writes_nothing(api, session):
    checkout_id = session["checkout_id"]
    ready_to_pay(api, checkout_id, api.merchant)
    before = CheckoutSession.objects.get(public_id=checkout_id)
    timeline = SessionEvent.objects.filter(session=before).count()
    with CaptureQueriesContext(connection) as ctx:
        response = validate(api, checkout_id, HTTP_IDEMPOTENCY_KEY="v-1")
    assert response.status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    # Only the API key's last-used bookkeeping may be written, never the session.
    assert all("merchants_apikey" in sql for sql in writes), writes
    after = CheckoutSession.objects.get(public_id=checkout_id)
    assert (after.version, after.pricing_version, after.status, after.current_calculation_id) == (
        before.version, before.pricing_version, before.status, before.current_calculation_id,
    )  # fmt: skip
    assert SessionEvent.objects.filter(session=after).count() == timeline
    assert not IdempotencyKey.objects.filter(key="v-1").exists()


def test_other_tenant_404_and_client_token_allowed(api, other_api, session):
    response = validate(other_api, session["checkout_id"])
    assert response.status_code == 404 and response.json()["error"]["code"] == "resource_missing"
    shopper = APIClient()
    shopper.credentials(HTTP_AUTHORIZATION=f"Bearer {session['client_token']}")
    assert validate(shopper, session["checkout_id"]).status_code == 200
    other = api.post("/v1/checkout/sessions", {"lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_amount": 1}]},
                     format="json").json()  # fmt: skip
    assert validate(shopper, other["checkout_id"]).status_code == 403
