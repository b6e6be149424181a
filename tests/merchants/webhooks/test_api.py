from datetime import timedelta

import pytest
from django.utils import timezone

from merchants.models import Event
from merchants.webhook_delivery import delivery_attempt, event_dispatch
from merchants.webhooks.models import WebhookEndpoint, WebhookSecret
from merchants.webhooks.selectors import signing_secrets
from merchants.webhooks.services import endpoint_disable

from .conftest import accept_all, emit, verified

pytestmark = pytest.mark.django_db

URL = "/v1/checkout/webhooks"


def create(api, receiver, **overrides):
    body = {"url": receiver.url_for("/hook"), "events": ["payment.*"], "description": "orders", **overrides}
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_returns_the_secret_once_and_stores_it_encrypted(api, receiver):
    body = create(api, receiver)
    assert body["id"].startswith("we_") and body["object"] == "webhook_endpoint"
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["payment.*"] and body["status"] == "enabled"
    ciphertext = WebhookSecret.objects.get(endpoint__public_id=body["id"]).ciphertext
    assert body["secret"] not in ciphertext
    listed = api.get(URL).json()
    assert [e["id"] for e in listed["data"]] == [body["id"]] and "secret" not in listed["data"][0]
    detail = api.get(f"{URL}/{body['id']}").json()
    assert detail["url"] == body["url"] and "secret" not in detail


@pytest.mark.parametrize(
    "payload,param",
    [
        ({"events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:9/h"}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": ["payment.exploded"]}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": ["pay*"]}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": ["nothing.*"]}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": "payment.*"}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": ["*"], "description": "x" * 501}, "description"),
        ({"url": "http://127.0.0.1:9/h", "events": ["*"], "secret": "mine"}, "secret"),
        ({"url": "ftp://127.0.0.1/h", "events": ["*"]}, "url"),
    ],
)
def test_create_bad_input_is_400_and_writes_nothing(api, payload, param):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://169.254.169.254/x", "http://93.184.216.34/hook"])
def test_ssrf_urls_are_refused_when_private_urls_are_off(api, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    response = api.post(URL, {"url": url, "events": ["*"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "url_refused"
    assert WebhookEndpoint.objects.count() == 0


def test_idempotency_key_replays_the_same_body_including_the_secret(api, receiver):
    payload = {"url": receiver.url_for("/hook"), "events": ["*"]}
    first = api.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    again = api.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1
    other_body = api.post(URL, {**payload, "events": ["payment.*"]}, format="json", HTTP_IDEMPOTENCY_KEY="wh-1")
    assert other_body.status_code == 422


def test_too_many_endpoints(api, receiver, settings):
    settings.WEBHOOK_MAX_ENDPOINTS_PER_MERCHANT = 1
    create(api, receiver)
    response = api.post(URL, {"url": receiver.url_for("/hook"), "events": ["*"]}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "too_many_endpoints"


def test_other_tenant_gets_404_everywhere(api, other_api, receiver):
    endpoint_id = create(api, receiver)["id"]
    for response in (
        other_api.get(f"{URL}/{endpoint_id}"),
        other_api.delete(f"{URL}/{endpoint_id}"),
        other_api.post(f"{URL}/{endpoint_id}/rotate-secret"),
        other_api.post(f"{URL}/{endpoint_id}/enable"),
        other_api.get(f"{URL}/{endpoint_id}/deliveries"),
        other_api.post(f"{URL}/test", {"endpoint_id": endpoint_id}, format="json"),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "resource_missing"
    assert other_api.get(URL).json()["data"] == []
    assert WebhookEndpoint.objects.get(public_id=endpoint_id).status == "enabled"


def test_anonymous_is_401(anon_api):
    assert anon_api.get(URL).status_code == 401
    assert anon_api.get("/v1/checkout/events").status_code == 401


def test_delete_stops_deliveries_and_hides_the_endpoint(api, receiver):
    endpoint_id = create(api, receiver)["id"]
    response = api.delete(f"{URL}/{endpoint_id}")
    assert response.status_code == 200 and response.json()["status"] == "deleted"
    assert api.get(f"{URL}/{endpoint_id}").status_code == 404
    assert api.get(URL).json()["data"] == []
    assert api.delete(f"{URL}/{endpoint_id}").status_code == 404
    assert not WebhookSecret.objects.filter(endpoint__public_id=endpoint_id).exists()
    assert Event.objects.filter(type="webhook_endpoint.deleted").count() == 1
    assert event_dispatch(event_id=emit(api.merchant).pk) == []


def test_enable_only_a_disabled_endpoint(api, receiver):
    endpoint_id = create(api, receiver)["id"]
    response = api.post(f"{URL}/{endpoint_id}/enable")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_state_transition"
    endpoint_disable(endpoint_pk=WebhookEndpoint.objects.get(public_id=endpoint_id).pk, reason="test")
    assert api.get(f"{URL}/{endpoint_id}").json()["status"] == "disabled"
    response = api.post(f"{URL}/{endpoint_id}/enable")
    assert response.status_code == 200 and response.json()["status"] == "enabled"
    assert response.json()["disabled_reason"] == ""


def test_rotated_secret_signs_alongside_the_old_one_for_the_overlap(api, receiver):
    accept_all(receiver)
    created = create(api, receiver, events=["*"])
    response = api.post(f"{URL}/{created['id']}/rotate-secret")
    assert response.status_code == 200
    new_secret = response.json()["secret"]
    assert new_secret != created["secret"] and new_secret.startswith("whsec_")
    old = WebhookSecret.objects.get(endpoint__public_id=created["id"], expires_at__isnull=False)
    assert timedelta(hours=23, minutes=59) < old.expires_at - timezone.now() <= timedelta(hours=24)

    for pk in event_dispatch(event_id=emit(api.merchant).pk):
        delivery_attempt(delivery_id=pk)
    request, _ = receiver.log[-1]
    verified(request, created["secret"])
    verified(request, new_secret)

    # After the overlap only the new secret signs.
    WebhookSecret.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    endpoint = WebhookEndpoint.objects.get(public_id=created["id"])
    assert signing_secrets(endpoint) == [new_secret]


def test_test_event_is_signed_and_reports_the_outcome(api, receiver):
    accept_all(receiver)
    created = create(api, receiver)
    response = api.post(f"{URL}/test", {"endpoint_id": created["id"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "succeeded" and body["status_code"] == 200 and body["latency_ms"] >= 0
    ((request, _),) = receiver.log
    payload = verified(request, created["secret"])
    assert payload["type"] == "webhook.test" and payload["id"] == body["event_id"]
    assert request.headers["webhook-id"] == body["webhook_id"]
    assert not Event.objects.filter(type="webhook.test").exists()


def test_test_event_against_a_failing_receiver(api, receiver):
    accept_all(receiver, status=500, body="down for maintenance")
    created = create(api, receiver)
    body = api.post(f"{URL}/test", {"endpoint_id": created["id"]}, format="json").json()
    assert (body["outcome"], body["status_code"], body["error"]) == ("failed", 500, "HTTP 500.")
    assert body["response_excerpt"] == "down for maintenance"


@pytest.mark.parametrize("payload", [{}, {"endpoint_id": "we_nope"}, {"endpoint_id": "x", "extra": 1}])
def test_test_event_bad_input(api, payload):
    response = api.post(f"{URL}/test", payload, format="json")
    assert response.status_code == (404 if payload.get("endpoint_id") == "we_nope" else 400)


def test_deliveries_list_shows_attempts_newest_first(api, receiver):
    accept_all(receiver, status=500)
    created = create(api, receiver, events=["*"])
    first, second = emit(api.merchant), emit(api.merchant, type="checkout.completed")
    for event in (first, second):
        for pk in event_dispatch(event_id=event.pk):
            delivery_attempt(delivery_id=pk)
    response = api.get(f"{URL}/{created['id']}/deliveries", {"limit": 1})
    assert response.status_code == 200
    page = response.json()
    assert page["has_more"] is True
    (delivery,) = page["data"]
    assert delivery["event_id"] == second.public_id and delivery["state"] == "pending"
    assert delivery["id"] == receiver.log[-1][0].headers["webhook-id"]
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] == 500 and attempt["outcome"] == "failed" and attempt["error"] == "HTTP 500."
    rest = api.get(f"{URL}/{created['id']}/deliveries", {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert rest["data"][0]["event_id"] == first.public_id
    assert api.get(f"{URL}/{created['id']}/deliveries", {"state": "succeeded"}).json()["data"] == []
    bad = api.get(f"{URL}/{created['id']}/deliveries", {"state": "bogus"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "state"


def test_events_list_filters_by_type_and_tenant_for_30_days(api, other_api):
    paid = emit(api.merchant, type="payment.succeeded", payment_intent_id="pi_1")
    emit(api.merchant, type="payment.failed")
    done = emit(api.merchant, type="checkout.completed", checkout_id="cs_1")
    old = emit(api.merchant, type="checkout.created")
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    emit(other_api.merchant, type="payment.succeeded")

    listed = api.get("/v1/checkout/events").json()
    assert len(listed["data"]) == 3 and listed["data"][0]["id"] == done.public_id
    assert listed["data"][0]["checkout_id"] == "cs_1" and listed["data"][0]["data"]["after"]
    payments = api.get("/v1/checkout/events", {"type": "payment.*"}).json()["data"]
    assert {e["type"] for e in payments} == {"payment.succeeded", "payment.failed"}
    exact = api.get("/v1/checkout/events", {"type": "payment.succeeded"}).json()["data"]
    assert [e["id"] for e in exact] == [paid.public_id] and exact[0]["payment_intent_id"] == "pi_1"
    page = api.get("/v1/checkout/events", {"limit": 2}).json()
    assert page["has_more"] and len(api.get("/v1/checkout/events", {"cursor": page["next_cursor"]}).json()["data"]) == 1
    bad = api.get("/v1/checkout/events", {"type": "pay ment"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "type"
    assert api.get("/v1/checkout/events", {"cursor": "garbage"}).status_code == 400
    assert api.get(f"/v1/checkout/events/{paid.public_id}").json()["type"] == "payment.succeeded"
    assert other_api.get(f"/v1/checkout/events/{paid.public_id}").status_code == 404
    assert api.get(f"/v1/checkout/events/{old.public_id}").status_code == 404


def test_callback_secret_rotation(api):
    first = api.post(f"{URL}/callback-secret")
    assert first.status_code == 200
    second = api.post(f"{URL}/callback-secret").json()
    assert first.json()["secret"].startswith("whsec_") and second["secret"] != first.json()["secret"]
    assert second["previous_secret_expires_in_hours"] == 24
    # The merchant's first secret (made with it) and both rotations' still sign for a day.
    assert WebhookSecret.objects.filter(merchant=api.merchant, endpoint__isnull=True).count() == 3


def test_support_email_is_a_merchant_setting(api):
    response = api.patch("/v1/checkout/settings", {"support_email": "ops@acme.example"}, format="json")
    assert response.status_code == 200 and response.json()["support_email"] == "ops@acme.example"
    bad = api.patch("/v1/checkout/settings", {"support_email": "not-an-email"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "support_email"
