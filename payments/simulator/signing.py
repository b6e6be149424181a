"""The simulator's signature: HMAC-SHA256 over `timestamp.body`, sent as `t=…,v1=…`.

The same scheme as Stripe's, so the verifying code reads the same for both gateways.
"""

import hashlib
import hmac
import re
import time

from django.conf import settings

from payments.exceptions import WebhookSignatureInvalid

SIGNATURE_HEADER = "Simulator-Signature"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def simulator_secret() -> bytes:
    configured = settings.PAYMENTS_SIMULATOR_SECRET
    if configured:
        return configured.encode()
    # Derived, not defaulted: a deployment without its own secret still has an unguessable one.
    return hmac.new(settings.SECRET_KEY.encode(), b"payments.simulator", hashlib.sha256).digest()


def _digest(timestamp: int, body: bytes) -> str:
    return hmac.new(simulator_secret(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={_digest(timestamp, body)}"


def signature_verify(body: bytes, header: str | None, *, tolerance: int | None = None) -> None:
    """Raises WebhookSignatureInvalid unless `header` signs `body` within the tolerance."""
    tolerance = settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS if tolerance is None else tolerance
    if not header:
        raise WebhookSignatureInvalid("The signature header is missing.")
    parts = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    # Unix seconds as ASCII digits: a 400-digit number would overflow the float arithmetic
    # of the tolerance check below (OverflowError), before any signature is looked at.
    timestamp_text = parts.get("t", [""])[0]
    if not _TIMESTAMP.fullmatch(timestamp_text):
        raise WebhookSignatureInvalid("The signature has no valid timestamp.")
    timestamp = int(timestamp_text)
    if abs(time.time() - timestamp) > tolerance:
        raise WebhookSignatureInvalid("The signature's timestamp is outside the tolerance.")
    expected = _digest(timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise WebhookSignatureInvalid("The signature does not match the body.")
