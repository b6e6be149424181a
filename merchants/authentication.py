"""Who is calling: a secret/publishable API key, or an OAuth2 access token.

Each resolves to one merchant, which becomes `request.user`; `request.auth` is a
Credential saying what kind of credential it was, for the permission classes.
"""

import copy
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import authentication, exceptions

from merchants.cached import active_merchant, api_key_for_lookup
from merchants.credentials import CLIENT_TOKEN_PREFIX, Credential, client_token_verify, digests_match, key_lookup
from merchants.models import ApiKey, MerchantOAuthClient

# last_used_at is bookkeeping; write it at most this often so reads stay read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def bearer_token(request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class SecretKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        token = bearer_token(request)
        if token is None:
            return None
        if token.startswith(CLIENT_TOKEN_PREFIX):
            return self._client_token(token)
        lookup = key_lookup(token)
        if lookup is None:
            return None  # not an API key: perhaps an OAuth2 token
        api_key = api_key_for_lookup(lookup)
        if api_key is None or not digests_match(token, api_key.digest) or not api_key.is_active:
            raise exceptions.AuthenticationFailed("Invalid API key provided.")
        if not api_key.merchant.is_active:
            raise exceptions.AuthenticationFailed("This merchant account is disabled.")
        now = timezone.now()
        if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
        return copy.copy(api_key.merchant), Credential(kind=api_key.kind, reference=api_key.lookup)

    def _client_token(self, token):
        verified = client_token_verify(token)
        merchant = active_merchant(verified[0]) if verified else None
        if merchant is None:
            raise exceptions.AuthenticationFailed("Invalid or expired client token.")
        return merchant, Credential(kind="client_token", reference=verified[1], subject=verified[1])

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class MerchantOAuth2Authentication(OAuth2Authentication):
    def authenticate(self, request):
        # Header only: a token in the URL (or a form body) is written to access logs on
        # the way. Refused outright, even next to a valid header, so the client fixes it.
        if "access_token" in request.query_params or "access_token" in getattr(request._request, "POST", {}):
            raise exceptions.AuthenticationFailed(
                "Send the access token in the Authorization header (Bearer), never in the URL or the body."
            )
        result = super().authenticate(request)
        if result is None:
            if bearer_token(request) is not None:
                raise exceptions.AuthenticationFailed("Invalid or expired access token.")
            return None
        _, access_token = result
        client = (
            MerchantOAuthClient.objects.select_related("merchant")
            .filter(application_id=access_token.application_id)
            .first()
        )
        if client is None or not client.merchant.is_active:
            raise exceptions.AuthenticationFailed("This access token belongs to no active merchant.")
        return client.merchant, Credential(kind="oauth", reference=str(access_token.application.client_id))

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
