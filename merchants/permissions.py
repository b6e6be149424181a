from rest_framework.permissions import BasePermission

from merchants.credentials import Credential


class IsMerchantSecret(BasePermission):
    """Server-to-server calls: a secret key or an OAuth2 access token."""

    message = "This call needs a secret API key or an OAuth2 access token."

    def has_permission(self, request, view):
        return isinstance(request.auth, Credential) and request.auth.is_secret


class IsMerchantSecretOrPublishable(BasePermission):
    """Browser-side calls that a publishable key may make as well (e.g. tokenizing a card)."""

    message = "This call needs an API key."

    def has_permission(self, request, view):
        return isinstance(request.auth, Credential) and request.auth.kind in {
            "secret",
            "oauth",
            "publishable",
            "client_token",
        }
