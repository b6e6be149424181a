import hashlib
import json
import threading

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from rest_framework.test import APIClient

from checkout.models import CheckoutSession
from core.idempotency import idempotency_keys_prune, request_fingerprint
from core.models import IdempotencyKey
from tests.checkout.conftest import CART
from tests.factories import merchant_with_keys

THREADS = 20


def _client(secret_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret_key}")
    return client


@pytest.mark.django_db
def test_replay_returns_the_first_response_byte_for_byte(api):
    first = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    second = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert second["Idempotent-Replayed"] == "true"
    assert CheckoutSession.objects.count() == 1


@pytest.mark.django_db
def test_same_key_different_body_is_422(api):
    api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="key-2")
    other = {**CART, "owner": "someone else"}
    response = api.post("/v1/checkout/sessions", other, format="json", HTTP_IDEMPOTENCY_KEY="key-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert CheckoutSession.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_scoped_per_merchant(api, other_api):
    a = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    b = other_api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert a.status_code == b.status_code == 201
    assert a.json()["checkout_id"] != b.json()["checkout_id"]


@pytest.mark.django_db
def test_errors_are_replayed_too_and_nothing_is_written(api):
    bad = {**CART, "currency": "JPY"}
    first = api.post("/v1/checkout/sessions", bad, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    second = api.post("/v1/checkout/sessions", bad, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    assert first.status_code == second.status_code == 400
    assert first.content == second.content
    assert CheckoutSession.objects.count() == 0


@pytest.mark.django_db
def test_overlong_key_is_400(api):
    response = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "Idempotency-Key"


@pytest.mark.django_db
def test_abandoned_key_is_taken_over_after_the_lock_timeout(api, settings):
    IdempotencyKey.objects.create(
        merchant=api.merchant, key="dead", request_method="POST", request_path="/v1/checkout/sessions",
        request_fingerprint="will-not-match-so-use-real", locked_at="2000-01-01T00:00Z",
    )  # fmt: skip
    in_use = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="dead")
    assert in_use.status_code == 422  # different fingerprint: a different request entirely
    body = json.dumps(CART).encode()
    IdempotencyKey.objects.filter(key="dead").update(
        request_fingerprint=request_fingerprint(method="POST", path="/v1/checkout/sessions", body=body)
    )
    response = api.generic("POST", "/v1/checkout/sessions", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="dead")  # fmt: skip
    assert response.status_code == 201
    assert IdempotencyKey.objects.get(key="dead").state == "completed"


@pytest.mark.django_db
def test_prune_removes_only_keys_past_the_ttl(api):
    api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="fresh")
    IdempotencyKey.objects.create(
        merchant=api.merchant, key="old", request_method="POST", request_path="/", request_fingerprint="x",
        locked_at="2000-01-01T00:00Z",
    )  # fmt: skip
    IdempotencyKey.objects.filter(key="old").update(created_at="2000-01-01T00:00Z")
    assert idempotency_keys_prune() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_session():
    secrets = merchant_with_keys("Racer")
    barrier = threading.Barrier(THREADS)
    results = []
    lock = threading.Lock()

    def call():
        try:
            client = _client(secrets.secret_key)
            barrier.wait(timeout=10)
            response = client.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="race")
            with lock:
                results.append(response)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == THREADS
    assert CheckoutSession.objects.filter(merchant=secrets.merchant).count() == 1
    created = [r for r in results if r.status_code == 201]
    in_use = [r for r in results if r.status_code == 409]
    assert len(created) + len(in_use) == THREADS
    assert created, "at least the winner answers 201"
    assert len({r.content for r in created}) == 1, "every 201 is the same bytes"
    assert all(r.json()["error"]["code"] == "idempotency_key_in_use" for r in in_use)
    # After the race, a retry replays the stored 201 exactly.
    replay = _client(secrets.secret_key).post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="race")
    assert replay.status_code == 201 and replay.content == created[0].content


@pytest.mark.django_db
def test_stored_responses_are_encrypted_at_rest(api):
    response = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="enc")
    stored = bytes(IdempotencyKey.objects.get(key="enc").response_body)
    assert response.json()["checkout_id"].encode() not in stored
    assert response.content not in stored


def _legacy_fingerprint(method, path, body):
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@pytest.mark.django_db
def test_the_fingerprint_is_keyed_not_a_plain_hash_of_the_request(api, settings):
    body = json.dumps(CART).encode()
    api.generic("POST", "/v1/checkout/sessions", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="h")
    stored = IdempotencyKey.objects.get(key="h").request_fingerprint
    assert stored != _legacy_fingerprint("POST", "/v1/checkout/sessions", body)
    assert stored not in {hashlib.sha256(body).hexdigest(), hashlib.md5(body).hexdigest()}  # noqa: S324
    # Under another key the same request gives another fingerprint: without the key, no guess can be tested.
    settings.ENCRYPTION_KEYS = Fernet.generate_key().decode()
    assert request_fingerprint(method="POST", path="/v1/checkout/sessions", body=body) != stored


@pytest.mark.django_db
def test_a_fingerprint_made_before_a_key_rotation_still_matches(api, settings):
    old_key = settings.ENCRYPTION_KEYS
    first = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="rot")
    settings.ENCRYPTION_KEYS = f"{Fernet.generate_key().decode()},{old_key}"
    replay = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="rot")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    other = api.post("/v1/checkout/sessions", {**CART, "owner": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="rot")
    assert other.status_code == 422
    # New keys are fingerprinted with the new first key, which the old list does not know.
    api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="rot2")
    settings.ENCRYPTION_KEYS = old_key
    again = api.post("/v1/checkout/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="rot2")
    assert again.status_code == 422
    assert CheckoutSession.objects.count() == 2


def _card(number="4242424242424242", cvc="123", exp_month=12):
    return {"type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": 2034, "cvc": cvc}}


@pytest.mark.django_db
def test_tokenize_is_fingerprinted_without_number_or_cvc_and_still_tells_cards_apart(api, settings):
    url = "/v1/checkout/payment-methods/tokenize"
    first = api.post(url, _card(), format="json", HTTP_IDEMPOTENCY_KEY="tok")
    assert first.status_code == 201
    assert api.post(url, _card(number="5555555555554444"), format="json", HTTP_IDEMPOTENCY_KEY="tok").status_code == 422
    assert api.post(url, _card(exp_month=11), format="json", HTTP_IDEMPOTENCY_KEY="tok").status_code == 422
    spaced = api.post(url, _card(number="4242 4242 4242 4242"), format="json", HTTP_IDEMPOTENCY_KEY="tok")
    assert spaced["Idempotent-Replayed"] == "true" and spaced.content == first.content
    # The CVC is not part of the fingerprint at all: no key can turn it into a CVC oracle.
    stored = IdempotencyKey.objects.get(key="tok").request_fingerprint
    for cvc in ("123", "999"):
        for number in ("4242424242424242", "4242 4242 4242 4242"):
            body = json.dumps(_card(number=number, cvc=cvc)).encode()
            assert request_fingerprint(method="POST", path=url, body=body) != stored
    stored_body = bytes(IdempotencyKey.objects.get(key="tok").response_body)
    assert b"4242" not in stored_body and first.json()["payment_method_id"].encode() not in stored_body
