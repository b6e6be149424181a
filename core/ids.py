import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_public_id(prefix: str) -> str:
    """A Stripe-style opaque id (`cs_...`): unguessable, so ids never enumerate tenants."""
    return f"{prefix}_{random_token(24)}"
