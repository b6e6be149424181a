"""Signing secrets: generated here, encrypted at rest (core.crypto), decrypted only to sign.

Never log what these functions return.
"""

import base64
import binascii
import secrets

from core.crypto import decrypt_text, encrypt_text

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# Standard Webhooks secrets are 24 to 64 random bytes; a passphrase of ours must be long
# and varied enough to carry comparable strength once used as the key bytes.
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
MIN_PASSPHRASE_CHARS, MAX_PASSPHRASE_CHARS, MIN_DISTINCT_CHARS = 32, 128, 12


def secret_generate() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 256 random bits."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_encrypt(secret: str) -> str:
    return encrypt_text(secret)


def secret_decrypt(ciphertext: str) -> str:
    return decrypt_text(ciphertext)


def secret_from_merchant(value: str) -> str:
    """A merchant-chosen signing secret as the Standard Webhooks `whsec_` key it signs with.

    Accepts `whsec_` + base64 of 24 to 64 bytes, or a passphrase of 32 to 128 printable
    characters with at least 12 distinct ones, whose UTF-8 bytes become the key (so the
    `whsec_` form answered back is what a Standard Webhooks library is given). Raises
    ValueError saying what is wrong, never echoing the value.
    """
    if not isinstance(value, str):
        raise ValueError("The secret must be a string.")
    if value.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(value[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("A whsec_ secret must be followed by valid base64.") from None
        if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
            raise ValueError(f"A whsec_ secret must encode {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes.")
        return value
    if not MIN_PASSPHRASE_CHARS <= len(value) <= MAX_PASSPHRASE_CHARS:
        raise ValueError(
            f"The secret must be {MIN_PASSPHRASE_CHARS} to {MAX_PASSPHRASE_CHARS} characters "
            f"(or whsec_ + base64 of {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} random bytes)."
        )
    if not value.isprintable() or value != value.strip():
        raise ValueError("The secret must be printable, without leading or trailing spaces.")
    if len(set(value)) < MIN_DISTINCT_CHARS:
        raise ValueError(f"The secret is too guessable: use at least {MIN_DISTINCT_CHARS} different characters.")
    return SECRET_PREFIX + base64.b64encode(value.encode()).decode()
