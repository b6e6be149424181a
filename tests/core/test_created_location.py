"""Every 201 that creates a resource says where it lives (`Location`), from one place: the
shared API view, so each app only registers its resources' paths."""

import pytest
from django.urls import get_resolver

from core.api.views import created_location

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls_loaded():
    # Apps register their paths when their API modules load, which the URL conf does
    # before the first request; a test calling the helper directly loads it first.
    assert get_resolver().url_patterns


def test_created_location_reads_links_self_then_the_registered_path():
    assert created_location({"links": {"self": "https://x.example/v1/checkout/sessions/cs_1"}}) == (
        "https://x.example/v1/checkout/sessions/cs_1"
    )
    assert created_location({"object": "checkout.reservation", "reservation_id": "res_1"}) == (
        "/v1/checkout/reservations/res_1"
    )
    assert created_location({"object": "payment_intent", "id": "pi_1"}) == "/v1/checkout/payment-intents/pi_1"
    assert created_location({"object": "checkout.reservation"}) is None
    assert created_location({"object": "unheard_of", "id": "x"}) is None
    assert created_location([1, 2]) is None


def test_a_webhook_endpoint_201_carries_location_and_a_replay_repeats_it(api):
    body = {"url": "https://hooks.example/checkout", "events": ["checkout.*"]}
    first = api.post("/v1/checkout/webhooks", body, format="json", HTTP_IDEMPOTENCY_KEY="loc-1")
    assert first.status_code == 201, first.content
    assert first["Location"] == f"http://testserver/v1/checkout/webhooks/{first.json()['id']}"
    assert api.get(first["Location"].removeprefix("http://testserver")).status_code == 200
    replay = api.post("/v1/checkout/webhooks", body, format="json", HTTP_IDEMPOTENCY_KEY="loc-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Location"] == first["Location"]


def test_a_200_carries_no_location(api):
    assert "Location" not in api.get("/v1/checkout/settings")
