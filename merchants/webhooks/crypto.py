"""Signing secrets: generated here, encrypted at rest with Fernet, decrypted only to sign.

Never log what these functions return.
"""

import base64
import functools
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def secret_generate() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 256 random bits."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@functools.lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "WEBHOOK_SECRET_ENCRYPTION_KEY must be one or more comma-separated Fernet keys (Fernet.generate_key())."
        ) from exc


def secret_encrypt(secret: str) -> str:
    return _fernet(settings.WEBHOOK_SECRET_ENCRYPTION_KEY).encrypt(secret.encode()).decode()


def secret_decrypt(ciphertext: str) -> str:
    try:
        return _fernet(settings.WEBHOOK_SECRET_ENCRYPTION_KEY).decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        # Raised when the key changed without keeping the old one in the list.
        raise ImproperlyConfigured("A webhook secret cannot be decrypted with WEBHOOK_SECRET_ENCRYPTION_KEY.") from exc
