"""OAuth2 access tokens: taken from the Authorization header only, stored only hashed."""

import hashlib
import importlib

import pytest
from django.apps import apps
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _token(merchant_secrets) -> str:
    response = APIClient().post(
        "/v1/oauth/token/",
        {
            "grant_type": "client_credentials",
            "client_id": merchant_secrets.oauth_client_id,
            "client_secret": merchant_secrets.oauth_client_secret,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_an_access_token_in_the_query_string_is_refused(merchant_secrets):
    token = _token(merchant_secrets)
    response = APIClient().get(f"/v1/checkout/settings?access_token={token}")
    assert response.status_code == 401
    assert "Authorization header" in response.json()["error"]["message"]
    # Even next to a valid header: the token has leaked into a URL, the client must stop.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(f"/v1/checkout/settings?access_token={token}").status_code == 401
    assert client.get("/v1/checkout/settings").status_code == 200


def test_an_access_token_in_a_form_body_is_refused(merchant_secrets):
    token = _token(merchant_secrets)
    response = APIClient().post("/v1/checkout/sessions", {"access_token": token})
    assert response.status_code == 401


def test_access_tokens_are_stored_only_as_their_sha256(merchant_secrets):
    token = _token(merchant_secrets)
    [stored] = AccessToken.objects.all()
    assert stored.token == ""
    assert stored.token_checksum == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(AccessToken.objects.values()))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/v1/checkout/settings").json()["merchant_id"] == merchant_secrets.merchant.public_id


def test_the_migration_blanks_tokens_stored_in_plaintext_before(merchant_secrets):
    token = _token(merchant_secrets)
    AccessToken.objects.update(token=token)  # as django-oauth-toolkit stored it before
    migration = importlib.import_module("merchants.migrations.0006_blank_stored_oauth_tokens")
    migration.blank_tokens(apps, None)
    assert list(AccessToken.objects.values_list("token", flat=True)) == [""]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/v1/checkout/settings").status_code == 200
