"""A whole checkout as a merchant's receivers see it, through the real on-commit path
(eager Celery in tests, so each delivery happens when the API call commits)."""

import pytest

from merchants.webhooks.models import WebhookDelivery
from merchants.webhooks.services import callback_secret_rotate

from .conftest import verified

CART = {
    "currency": "USD",
    "lines": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_amount": 1250}],
}


@pytest.mark.django_db(transaction=True)
def test_subscribed_endpoint_and_session_callback_receive_signed_events(api, receiver):
    receiver.expect_request("/hook").respond_with_data("ok")
    receiver.expect_request("/cb").respond_with_data("OK", status=200)
    created = api.post(
        "/v1/checkout/webhooks", {"url": receiver.url_for("/hook"), "events": ["checkout.*"]}, format="json"
    ).json()
    callback_secret = callback_secret_rotate(merchant_id=api.merchant.pk)
    session = api.post(
        "/v1/checkout/sessions", {**CART, "return_urls": {"callback_url": receiver.url_for("/cb")}}, format="json"
    ).json()
    assert api.delete(f"/v1/checkout/sessions/{session['checkout_id']}").status_code == 200

    hooks = [verified(r, created["secret"]) for r, _ in receiver.log if r.path == "/hook"]
    callbacks = [verified(r, callback_secret) for r, _ in receiver.log if r.path == "/cb"]
    assert [e["type"] for e in hooks] == ["checkout.created", "checkout.canceled"]
    assert all(e["checkout_id"] == session["checkout_id"] for e in hooks)
    # Only the session's final result goes to its callback_url.
    assert [e["type"] for e in callbacks] == ["checkout.canceled"]
    assert callbacks[0]["data"]["after"]["status"] == "canceled"
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"succeeded"}
    webhook_ids = [r.headers["webhook-id"] for r, _ in receiver.log]
    assert len(set(webhook_ids)) == 3
