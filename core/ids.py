import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_public_id(prefix: str) -> str:
    """A Stripe-style opaque id (`cs_...`): unguessable, so ids never enumerate tenants."""
    return f"{prefix}_{random_token(24)}"


# Byte → alphabet character for bytes below 248 (4 × 62): each character equally likely.
_UNBIASED = 248
_BYTE_TO_CHAR = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) for b in range(256))
_ABOVE = bytes(range(_UNBIASED, 256))


def new_public_ids(prefix: str, count: int, *, length: int = 24) -> list[str]:
    """`count` ids shaped as new_public_id's, from one draw of random bytes: a bulk import
    names a hundred thousand rows, where a `secrets.choice` per character costs seconds.
    Bytes from 248 up are dropped rather than folded in, so no character is favoured."""
    need = count * length
    drawn = bytearray()
    while len(drawn) < need:
        drawn += secrets.token_bytes(need - len(drawn) + need // 30 + 16).translate(None, _ABOVE)
    text = bytes(drawn[:need]).translate(_BYTE_TO_CHAR).decode("ascii")
    return [f"{prefix}_{text[start : start + length]}" for start in range(0, need, length)]
