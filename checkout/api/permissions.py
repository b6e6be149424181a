from rest_framework.permissions import BasePermission

from merchants.credentials import Credential


class SecretOrSessionClientToken(BasePermission):
    """Secret credentials may act on any of the merchant's sessions; a session's client
    token (held by the shopper's browser) only on that one session."""

    message = "This credential cannot act on this checkout session."

    def has_permission(self, request, view):
        credential = request.auth
        if not isinstance(credential, Credential):
            return False
        if credential.is_secret:
            return True
        return credential.kind == "client_token" and credential.subject == view.kwargs.get("checkout_id")
