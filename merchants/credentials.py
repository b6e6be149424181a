"""Key material: generation and digests. Nothing here touches the database."""

import hashlib
import hmac
from dataclasses import dataclass

from core.ids import random_token

KEY_PREFIXES = {"secret": "sk_test_", "publishable": "pk_test_"}
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
