"""Hosted and embedded checkout API: POST hosted-url, GET embed-token, GET hosted status."""

import time
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import CheckoutSession
from merchants import credentials
from tests.checkout.finalize_helpers import finalize, paid_session, place, ready_session, session_url, set_merchant
from tests.payments.helpers import V1, ok, shopper_client

pytestmark = pytest.mark.django_db


def _client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _token_of(url):
    return parse_qs(urlsplit(url).query)["token"][0]


def _expires(body) -> datetime:
    return datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))


def _status(client, checkout_id):
    return client.get(f"{V1}/hosted/{checkout_id}/status")


def test_hosted_url_carries_a_working_client_token(api, other_api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    body = ok(api.post(session_url(checkout_id, "hosted-url"), {}, format="json"))
    assert body["url"].startswith(f"{settings.PUBLIC_BASE_URL}/pay/{checkout_id}?token=ct_")
    assert _expires(body) <= timezone.now() + timedelta(hours=1)

    shopper = _client(_token_of(body["url"]))
    assert ok(shopper.get(session_url(checkout_id)))["checkout_id"] == checkout_id
    assert ok(_status(shopper, checkout_id))["status"] == "collecting"
    # The token opens this session only.
    other = ready_session(api)["checkout_id"]
    assert shopper.get(session_url(other)).status_code == 403
    assert other_api.post(session_url(checkout_id, "hosted-url"), {}, format="json").status_code == 404


def test_hosted_url_lives_an_hour_at_most_and_never_past_the_session(api):
    set_merchant(api.merchant, session_ttl_minutes=240)
    checkout_id = ready_session(api)["checkout_id"]
    hour = ok(api.post(session_url(checkout_id, "hosted-url"), {}, format="json"))
    assert abs((_expires(hour) - timezone.now()) - timedelta(hours=1)) < timedelta(seconds=5)

    soon = (timezone.now() + timedelta(minutes=10)).replace(microsecond=0)
    CheckoutSession.objects.filter(public_id=checkout_id).update(expires_at=soon)
    capped = ok(api.post(session_url(checkout_id, "hosted-url"), {}, format="json"))
    assert _expires(capped) == soon


def test_hosted_url_token_expires(api, monkeypatch):
    checkout_id = ready_session(api)["checkout_id"]
    body = ok(api.post(session_url(checkout_id, "hosted-url"), {}, format="json"))
    shopper = _client(_token_of(body["url"]))
    later = time.time() + 3601
    monkeypatch.setattr(credentials, "time", SimpleNamespace(time=lambda: later))
    response = shopper.get(session_url(checkout_id))
    assert response.status_code == 401 and response.json()["error"]["code"] in {
        "authentication_failed",
        "not_authenticated",
    }


def test_hosted_url_for_an_expired_session_or_with_a_body_is_refused(api):
    checkout_id = ready_session(api)["checkout_id"]
    response = api.post(session_url(checkout_id, "hosted-url"), {"ttl": 5}, format="json")
    assert response.status_code == 400 and response.json()["error"]["param"] == "ttl"
    CheckoutSession.objects.filter(public_id=checkout_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post(session_url(checkout_id, "hosted-url"), {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "session_expired"


def test_hosted_url_replays_with_the_same_idempotency_key(api):
    checkout_id = ready_session(api)["checkout_id"]
    first = api.post(session_url(checkout_id, "hosted-url"), {}, format="json", HTTP_IDEMPOTENCY_KEY="h-1")
    again = api.post(session_url(checkout_id, "hosted-url"), {}, format="json", HTTP_IDEMPOTENCY_KEY="h-1")
    assert first.status_code == again.status_code == 200 and first.content == again.content


def test_session_links_approve_is_the_tokenized_hosted_page(api):
    session = ready_session(api)
    link = session["links"]["approve"]
    assert link.startswith(f"{settings.PUBLIC_BASE_URL}/pay/{session['checkout_id']}?token=ct_")
    assert ok(_client(_token_of(link)).get(session_url(session["checkout_id"])))["status"] == "collecting"


def test_embed_token_is_short_lived_and_bound_to_the_session(api, other_api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    body = ok(api.get(session_url(checkout_id, "embed-token")))
    assert body["token"].startswith("ct_")
    assert abs((_expires(body) - timezone.now()) - timedelta(minutes=15)) < timedelta(seconds=5)
    assert ok(_client(body["token"]).get(session_url(checkout_id, "totals")))["totals"]["grand_total"] == 5000
    assert other_api.get(session_url(checkout_id, "embed-token")).status_code == 404
    # Handing out tokens is the merchant server's job, not the browser's.
    assert shopper_client(session).get(session_url(checkout_id, "embed-token")).status_code == 403


def test_hosted_status_in_progress_and_after_success(api):
    paid = paid_session(api)
    checkout_id = paid["checkout_id"]
    shopper = shopper_client(paid["session"])
    status = ok(_status(shopper, checkout_id))
    assert (status["status"], status["redirect_url"], status["order_id"]) == ("payment_processing", None, None)
    assert status["payment_intent_status"] == "succeeded"

    order_id = ok(finalize(api, checkout_id), 201)["order"]["id"]
    status = ok(_status(api, checkout_id))
    assert status["status"] == "completed" and status["order_id"] == order_id
    assert status["redirect_url"] == f"https://shop.example/thanks?checkout_id={checkout_id}"


def test_hosted_status_after_a_decline_points_at_the_error_url(api, other_api):
    set_merchant(api.merchant, approval_mode="merchant")
    checkout_id = ready_session(api)["checkout_id"]
    ok(place(api, checkout_id))
    assert ok(_status(api, checkout_id))["status"] == "awaiting_approval"
    ok(api.post(session_url(checkout_id, "decline"), {"reason": "Sold out"}, format="json"))
    status = ok(_status(api, checkout_id))
    assert (status["status"], status["status_reason"]) == ("declined", "Sold out")
    assert status["redirect_url"] == f"https://shop.example/cart?checkout_id={checkout_id}"
    assert status["payment_intent_id"] is None
    assert _status(other_api, checkout_id).status_code == 404
    assert _status(APIClient(), checkout_id).status_code == 401
