import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from merchants.models import ApiKey
from merchants.services import api_key_revoke

pytestmark = pytest.mark.django_db


def test_secret_key_authenticates_and_is_stored_only_as_digest(api, merchant_secrets):
    response = api.get("/v1/checkout/settings")
    assert response.status_code == 200
    assert response.json()["merchant_id"] == merchant_secrets.merchant.public_id
    stored = ApiKey.objects.get(merchant=merchant_secrets.merchant, kind="secret")
    assert merchant_secrets.secret_key not in (stored.lookup, stored.digest)
    assert merchant_secrets.secret_key.startswith("sk_test_")
    assert stored.digest != merchant_secrets.secret_key and len(stored.digest) == 64


def test_missing_credentials_is_401_in_envelope(anon_api):
    response = anon_api.get("/v1/checkout/settings")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "authentication_error"
    assert error["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["sk_test_wrongwrongwrongwrongwrongwrong12", "garbage", "pk_test_nope"])
def test_invalid_credentials_are_401(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/v1/checkout/settings")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_publishable_key_cannot_make_secret_calls(merchant_secrets):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {merchant_secrets.publishable_key}")
    response = client.get("/v1/checkout/settings")
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"


def test_revoked_key_stops_working(api, merchant_secrets):
    key = ApiKey.objects.get(merchant=merchant_secrets.merchant, kind="secret")
    api_key_revoke(api_key_id=key.pk)
    assert api.get("/v1/checkout/settings").status_code == 401


def test_oauth_client_credentials_token_resolves_to_merchant(merchant_secrets):
    client = APIClient()
    token_response = client.post(
        "/v1/oauth/token/",
        {
            "grant_type": "client_credentials",
            "client_id": merchant_secrets.oauth_client_id,
            "client_secret": merchant_secrets.oauth_client_secret,
        },
    )
    assert token_response.status_code == 200, token_response.content
    access_token = token_response.json()["access_token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    response = client.get("/v1/checkout/settings")
    assert response.status_code == 200
    assert response.json()["merchant_id"] == merchant_secrets.merchant.public_id


def test_oauth_wrong_secret_gets_no_token(merchant_secrets):
    response = APIClient().post(
        "/v1/oauth/token/",
        {"grant_type": "client_credentials", "client_id": merchant_secrets.oauth_client_id, "client_secret": "x"},
    )
    assert response.status_code == 401


def test_create_merchant_command_prints_credentials_once(capsys):
    call_command("create_merchant", "Widgets Ltd", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "Widgets Ltd"
    assert data["secret_key"].startswith("sk_test_")
    assert data["publishable_key"].startswith("pk_test_")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {data['secret_key']}")
    assert client.get("/v1/checkout/settings").json()["merchant_id"] == data["merchant_id"]


def test_known_key_costs_no_query_until_the_key_or_its_merchant_changes(
    api, merchant_secrets, django_assert_num_queries
):
    assert api.get("/v1/checkout/settings").status_code == 200  # loads the key into process memory
    with django_assert_num_queries(0):
        assert api.get("/v1/checkout/settings").status_code == 200
    merchant = merchant_secrets.merchant
    merchant.is_active = False
    merchant.save(update_fields=["is_active"])
    assert api.get("/v1/checkout/settings").status_code == 401
    merchant.is_active = True
    merchant.save(update_fields=["is_active"])
    assert api.get("/v1/checkout/settings").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_revocation_committed_elsewhere_reaches_a_process_that_cached_the_key(api, merchant_secrets):
    """The version bump after commit is what other processes see: simulated by forgetting
    the bump made before commit (this process's own read-your-writes)."""
    from unittest import mock

    from core import process_cache

    assert api.get("/v1/checkout/settings").status_code == 200
    key = ApiKey.objects.get(merchant=merchant_secrets.merchant, kind="secret")
    bumps = []
    real_bump = process_cache._bump_now
    with mock.patch.object(process_cache, "_bump_now", side_effect=lambda scope: bumps.append(scope)):
        api_key_revoke(api_key_id=key.pk)
    assert api.get("/v1/checkout/settings").status_code == 200  # no bump reached: still cached
    assert len(bumps) == 2  # before and after commit
    real_bump(bumps[-1])
    assert api.get("/v1/checkout/settings").status_code == 401
