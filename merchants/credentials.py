"""Key material: generation and digests. Nothing here touches the database."""

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.core import signing

from core.ids import random_token

KEY_PREFIXES = {"secret": "sk_test_", "publishable": "pk_test_"}
CLIENT_TOKEN_PREFIX = "ct_"
_CLIENT_TOKEN_SALT = "merchants.client-token"
LOOKUP_RANDOM_CHARS = 8


@dataclass(frozen=True)
class Credential:
    """What authenticated a request: `secret`, `oauth`, `publishable` or `client_token`.

    `subject` names what the credential is bound to: the session for a client token.
    """

    kind: str
    reference: str
    subject: str | None = None

    @property
    def is_secret(self) -> bool:
        return self.kind in {"secret", "oauth"}


def key_digest(raw_key: str) -> str:
    # API keys carry 192 bits of randomness, so a fast digest is enough: no brute force
    # can walk that space, and a slow password hash would cost every request.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def digests_match(raw_key: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(raw_key), digest)


def generate_key(kind: str) -> tuple[str, str]:
    """Returns (raw key, lookup) for a new key of `kind`."""
    raw = KEY_PREFIXES[kind] + random_token(32)
    return raw, raw[: len(KEY_PREFIXES[kind]) + LOOKUP_RANDOM_CHARS]


def key_lookup(raw_key: str) -> str | None:
    for prefix in KEY_PREFIXES.values():
        if raw_key.startswith(prefix):
            return raw_key[: len(prefix) + LOOKUP_RANDOM_CHARS]
    return None


def client_token_sign(*, merchant_id: int, subject: str, expires_at: float) -> str:
    """A browser credential for one object (e.g. a checkout session), signed, not stored.

    Signing with SECRET_KEY means any process can verify it and the same session can hand
    out a token on every read without keeping a secret at rest.
    """
    payload = {"m": merchant_id, "s": subject, "e": int(expires_at)}
    return CLIENT_TOKEN_PREFIX + signing.dumps(payload, salt=_CLIENT_TOKEN_SALT, compress=True)


def client_token_verify(token: str) -> tuple[int, str] | None:
    """(merchant id, subject) for a valid unexpired token; None otherwise."""
    if not token.startswith(CLIENT_TOKEN_PREFIX):
        return None
    try:
        payload = signing.loads(token[len(CLIENT_TOKEN_PREFIX) :], salt=_CLIENT_TOKEN_SALT)
    except signing.BadSignature:
        return None
    if payload.get("e", 0) < time.time():
        return None
    return payload["m"], payload["s"]
