from merchants.credentials import Credential


def actor_for(request) -> str:
    """Who did it, for timelines and audit: the key's public prefix, never the secret."""
    credential = request.auth
    if isinstance(credential, Credential):
        if credential.kind == "client_token":
            return "shopper"
        return f"merchant:{credential.reference}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_staff", False):
        return f"staff:{user.get_username()}"
    return "anonymous"
