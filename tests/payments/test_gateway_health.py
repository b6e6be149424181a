"""GET /health reaches the configured Stripe account (localstripe on loopback)."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_reachable_stripe_gateway_is_ok(anon_api, stripe_settings, fresh_heartbeats):
    response = anon_api.get("/v1/checkout/health")
    assert response.json()["checks"]["gateway.stripe"] == "ok", response.json()
    assert response.status_code == 200
