"""Idempotency-Key bookkeeping: claim a key, replay its stored result, or refuse it.

Runs in autocommit, outside the request's own transactions, so the claim is visible to
concurrent requests at once and survives the request's rollback.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.crypto import decrypt_bytes, encrypt_bytes, keyed_digest_matches, keyed_digests
from core.exceptions import DomainError, IdempotencyKeyInUse, IdempotencyKeyReused
from core.models import IdempotencyKey

# Response headers worth replaying: the body's meaning depends on them.
REPLAYED_HEADERS = ("Content-Type", "ETag", "Location")
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict
    body: bytes


FINGERPRINT_PURPOSE = "idempotency-fingerprint"


def _fingerprint_parts(method: str, path: str, body: bytes) -> tuple[bytes, ...]:
    return (method.encode(), path.encode(), body or b"")


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    """A keyed HMAC (ENCRYPTION_KEYS), never a plain hash: a plain hash of a body is a
    guessing oracle for whatever the body holds. Views whose body carries card data pass a
    redacted body instead (ApiView.idempotency_body)."""
    return keyed_digests(_fingerprint_parts(method, path, body), purpose=FINGERPRINT_PURPOSE)[0]


def idempotency_key_claim(*, merchant_id: int, key: str, method: str, path: str, body: bytes):
    """Claim `key` for this request, or return the stored response to replay.

    Returns (record, None) when the caller now owns the key and must run the request, or
    (None, StoredResponse) to replay. Raises IdempotencyKeyReused when the key was used
    for a different request, IdempotencyKeyInUse while its first request still runs.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            code="idempotency_key_invalid",
            param="Idempotency-Key",
        )
    parts = _fingerprint_parts(method, path, body)
    fingerprint = keyed_digests(parts, purpose=FINGERPRINT_PURPOSE)[0]
    now = timezone.now()
    fields = {
        "merchant_id": merchant_id,
        "key": key,
        "request_method": method,
        "request_path": path,
        "request_fingerprint": fingerprint,
        "locked_at": now,
    }
    try:
        if transaction.get_connection().in_atomic_block:
            # Inside a caller's transaction a duplicate must only undo itself.
            with transaction.atomic():
                record = IdempotencyKey.objects.create(**fields)
        else:
            # In autocommit the INSERT is its own transaction: no BEGIN/COMMIT round trips.
            record = IdempotencyKey.objects.create(**fields)
        return record, None
    except IntegrityError:
        pass

    record = IdempotencyKey.objects.filter(merchant_id=merchant_id, key=key).first()
    if record is None:
        # Pruned or released between our insert and our read: the caller may simply retry.
        raise IdempotencyKeyInUse()
    # Any key still in ENCRYPTION_KEYS matches: a retry across a key rotation still replays.
    if not keyed_digest_matches(record.request_fingerprint, parts, purpose=FINGERPRINT_PURPOSE):
        raise IdempotencyKeyReused(param="Idempotency-Key")
    if record.state == IdempotencyKey.State.COMPLETED:
        return None, StoredResponse(
            status=record.response_status,
            headers=record.response_headers,
            body=decrypt_bytes(bytes(record.response_body)) if record.response_body else b"",
        )
    stale_before = now - timedelta(seconds=settings.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS)
    # The owner died mid-request: take the key over, compare-and-set so only one does.
    taken_over = IdempotencyKey.objects.filter(
        pk=record.pk, state=IdempotencyKey.State.IN_PROGRESS, locked_at__lt=stale_before
    ).update(locked_at=now)
    if taken_over == 1:
        record.locked_at = now
        return record, None
    raise IdempotencyKeyInUse()


def idempotency_key_complete(*, record: IdempotencyKey, status: int, headers: dict, body: bytes) -> None:
    """Store the response for replay; a 5xx or a 429 releases the key so the client can
    retry (a rate limit's answer is about the moment, not the request: after Retry-After
    the same key runs it)."""
    if status >= 500 or status == 429:
        IdempotencyKey.objects.filter(pk=record.pk, state=IdempotencyKey.State.IN_PROGRESS).delete()
        return
    IdempotencyKey.objects.filter(pk=record.pk).update(
        state=IdempotencyKey.State.COMPLETED,
        response_status=status,
        response_headers={name: headers[name] for name in REPLAYED_HEADERS if name in headers},
        # Encrypted: a response may carry a secret shown once (a webhook signing secret).
        response_body=encrypt_bytes(body),
        completed_at=timezone.now(),
    )


def idempotency_key_release(*, record: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=record.pk, state=IdempotencyKey.State.IN_PROGRESS).delete()


def idempotency_keys_prune(*, older_than_hours: int | None = None) -> int:
    hours = older_than_hours if older_than_hours is not None else settings.IDEMPOTENCY_KEY_TTL_HOURS
    cutoff = timezone.now() - timedelta(hours=hours)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
