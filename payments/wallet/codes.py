"""Gift card codes: made from an unambiguous alphabet, normalized, kept only as a keyed hash."""

import re
import secrets

from core.crypto import keyed_digests
from core.exceptions import DomainError

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by people
GENERATED_LENGTH = 16  # 32**16 = 2**80: guessing one is hopeless, and guesses are limited
PURPOSE = "gift-card-code"
_SEPARATORS = re.compile(r"[\s-]+")
_VALID = re.compile(r"^[A-Z0-9]{8,32}$")


def normalize(code) -> str:
    """What is hashed: upper case without spaces or dashes, so 'abcd-efgh' finds ABCDEFGH."""
    if not isinstance(code, str):
        return ""
    return _SEPARATORS.sub("", code).upper()


def validate_new(code) -> str:
    normalized = normalize(code)
    if not _VALID.match(normalized):
        raise DomainError("code must be 8 to 32 letters and digits (dashes and spaces are ignored).", param="code")
    return normalized


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))


def display(normalized: str) -> str:
    return "-".join(normalized[i : i + 4] for i in range(0, len(normalized), 4))


def digests(code) -> list[str]:
    """The stored-hash candidates of `code` (one per key); empty for what cannot be a code."""
    normalized = normalize(code)
    if not normalized or len(normalized) > 64:
        return []
    return keyed_digests([normalized.encode()], purpose=PURPOSE)
