"""Encryption at rest for what must be read back (signing secrets, stored API responses).

Fernet (AES-128-CBC + HMAC-SHA256) under ENCRYPTION_KEYS: a comma-separated list whose
first key encrypts and all decrypt, so keys rotate without re-encrypting at once.
Never log what decrypt returns.
"""

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@functools.lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be one or more comma-separated Fernet keys (Fernet.generate_key())."
        ) from exc


def encrypt_bytes(plaintext: bytes) -> bytes:
    return _fernet(settings.ENCRYPTION_KEYS).encrypt(plaintext)


def decrypt_bytes(ciphertext: bytes) -> bytes:
    try:
        return _fernet(settings.ENCRYPTION_KEYS).decrypt(ciphertext)
    except InvalidToken as exc:
        # The key changed without the old one kept in the list.
        raise ImproperlyConfigured("Stored data cannot be decrypted with ENCRYPTION_KEYS.") from exc


def encrypt_text(plaintext: str) -> str:
    return encrypt_bytes(plaintext.encode()).decode()


def decrypt_text(ciphertext: str) -> str:
    return decrypt_bytes(ciphertext.encode()).decode()


def keyed_digests(value: str, *, purpose: str) -> list[str]:
    """HMAC-SHA256 of `value` under a key derived from each of ENCRYPTION_KEYS, the
    current key's first: store the first, look up by all of them, so a rotated key still
    finds what was stored under the old one. Not reversible without the key."""
    import hashlib
    import hmac

    digests = []
    for key in (k.strip() for k in settings.ENCRYPTION_KEYS.split(",")):
        if key:
            derived = hmac.new(key.encode(), purpose.encode(), hashlib.sha256).digest()
            digests.append(hmac.new(derived, value.encode(), hashlib.sha256).hexdigest())
    return digests
