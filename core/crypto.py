"""Encryption at rest for what must be read back (signing secrets, stored API responses),
and keyed digests for what must only be compared (request fingerprints).

Fernet (AES-128-CBC + HMAC-SHA256) under ENCRYPTION_KEYS: a comma-separated list whose
first key encrypts and all decrypt, so keys rotate without re-encrypting at once.
Never log what decrypt returns.
"""

import base64
import functools
import hashlib
import hmac

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


@functools.lru_cache(maxsize=16)
def _hmac_keys(keys: str, purpose: str) -> tuple[bytes, ...]:
    # One subkey per purpose, so a digest made for one use can never be replayed in another
    # and the Fernet keys themselves are never used raw outside Fernet.
    _fernet(keys)  # the same validation and error as encryption
    return tuple(
        hmac.new(base64.urlsafe_b64decode(key.strip()), f"hmac:{purpose}".encode(), hashlib.sha256).digest()
        for key in keys.split(",")
        if key.strip()
    )


def keyed_digests(parts, *, purpose: str) -> list[str]:
    """HMAC-SHA256 of `parts` (length-prefixed, so no two lists collide) under every key of
    ENCRYPTION_KEYS, the current key first: store the first, accept any when comparing, so a
    digest made before a key rotation still matches while its key stays in the list.

    Without the key a digest cannot be tested against guesses, unlike a plain hash.
    """
    digests = []
    for key in _hmac_keys(settings.ENCRYPTION_KEYS, purpose):
        mac = hmac.new(key, digestmod=hashlib.sha256)
        for part in parts:
            mac.update(len(part).to_bytes(8, "big"))
            mac.update(part)
        digests.append(mac.hexdigest())
    return digests


def keyed_digest_matches(stored: str, parts, *, purpose: str) -> bool:
    return any(hmac.compare_digest(stored, digest) for digest in keyed_digests(parts, purpose=purpose))
