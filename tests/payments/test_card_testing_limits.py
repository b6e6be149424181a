"""Card-testing protection: tokenize and confirm are limited per browser credential, per
client IP and per checkout session; the limits are the merchant's settings."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from payments.models import PaymentMethod
from tests.payments.helpers import (
    DECLINE,
    V1,
    calculated_session,
    confirm,
    create_intent,
    ok,
    publishable_client,
    shopper_client,
    tokenize,
)

TOKENIZE = f"{V1}/payment-methods/tokenize"
CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
THREADS = 12


def _limits(api, **limits):
    body = {"extra_settings": {f"card_rate_limit_{name}": value for name, value in limits.items()}}
    ok(api.patch(f"{V1}/settings", body, format="json"))


def _assert_429(response):
    assert response.status_code == 429, (response.status_code, response.content)
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert 1 <= int(response["Retry-After"]) <= 600


def test_the_cache_is_redis_in_tests():
    assert settings.CACHES["default"]["BACKEND"] == "core.redis_cache.RedisCache"


@pytest.mark.django_db
def test_tokenize_is_limited_per_client_ip(api):
    _limits(api, per_ip=3)
    browser = publishable_client(api)
    for _ in range(3):
        ok(browser.post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.5"), 201)
    _assert_429(browser.post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.5"))
    # A forged X-Forwarded-For does not open a new bucket (no proxy is configured).
    _assert_429(browser.post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.5", HTTP_X_FORWARDED_FOR="127.0.0.9"))
    ok(browser.post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.6"), 201)
    assert PaymentMethod.objects.count() == 4


@pytest.mark.django_db
def test_tokenize_is_limited_per_publishable_key_across_addresses(api, other_api):
    _limits(api, per_key=2)
    browser = publishable_client(api)
    ok(browser.post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.5"), 201)
    ok(browser.post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.6"), 201)
    _assert_429(browser.post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.7"))
    # Another merchant's key has its own count; the merchant's own servers are not limited.
    ok(publishable_client(other_api).post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.7"), 201)
    ok(api.post(TOKENIZE, CARD, format="json", REMOTE_ADDR="127.0.0.7"), 201)


@pytest.mark.django_db
def test_tokenize_and_confirm_are_limited_per_session(api):
    _limits(api, per_session=2)
    session = calculated_session(api)
    shopper = shopper_client(session)
    ok(shopper.post(TOKENIZE, CARD, format="json"), 201)
    ok(shopper.post(TOKENIZE, CARD, format="json"), 201)
    _assert_429(shopper.post(TOKENIZE, CARD, format="json"))
    # Confirm counts against the session its intent pays.
    other = calculated_session(api)
    intent = create_intent(api, other["checkout_id"])
    declined = tokenize(api, DECLINE)
    browser = shopper_client(other)
    assert confirm(browser, intent["id"], declined).status_code == 402
    assert confirm(browser, intent["id"], declined).status_code == 402
    _assert_429(confirm(browser, intent["id"], declined))
    # The merchant's own servers (secret key) are not counted: their retries are not card testing.
    assert confirm(api, intent["id"], declined).status_code == 402


@pytest.mark.django_db
def test_a_throttled_request_claims_no_idempotency_key(api):
    _limits(api, per_ip=1)
    browser = publishable_client(api)
    ok(browser.post(TOKENIZE, CARD, format="json"), 201)
    _assert_429(browser.post(TOKENIZE, CARD, format="json", HTTP_IDEMPOTENCY_KEY="after-429"))
    _limits(api, per_ip=100)
    retried = browser.post(TOKENIZE, CARD, format="json", HTTP_IDEMPOTENCY_KEY="after-429")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["5", 0, -1, 2.5, True, 10**7])
def test_limits_are_validated_positive_integers(api, value):
    response = api.patch(f"{V1}/settings", {"extra_settings": {"card_rate_limit_per_ip": value}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "extra_settings.card_rate_limit_per_ip"


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_never_pass_the_limit(api):
    _limits(api, per_ip=4)
    key = api.secrets.publishable_key
    barrier = threading.Barrier(THREADS)
    statuses = []
    lock = threading.Lock()

    def attempt():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            barrier.wait(timeout=10)
            response = client.post(TOKENIZE, CARD, format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] * 4 + [429] * (THREADS - 4)
    assert PaymentMethod.objects.count() == 4
