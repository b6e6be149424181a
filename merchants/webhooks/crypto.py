"""Signing secrets: generated here, encrypted at rest (core.crypto), decrypted only to sign.

Never log what these functions return.
"""

import base64
import secrets

from core.crypto import decrypt_text, encrypt_text

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def secret_generate() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 256 random bits."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_encrypt(secret: str) -> str:
    return encrypt_text(secret)


def secret_decrypt(ciphertext: str) -> str:
    return decrypt_text(ciphertext)
