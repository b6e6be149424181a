"""The only place fraud takes locks.

Velocity counts earlier attempts; two attempts scored at the same moment must see each
other, so each takes a transaction-scoped advisory lock per identity value it is counted
by (same merchant, same card/e-mail/IP/device), in sorted order so two never deadlock.
The lock is released when the caller's transaction commits, after its assessment row is
visible to the next one.
"""

import hashlib

from django.db import connection

from fraud.models import FraudAssessment, FraudProfile


def _key(merchant_id: int, kind: str, value: str) -> int:
    digest = hashlib.sha256(f"fraud:{merchant_id}:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_identities(merchant_id: int, pairs) -> None:
    if connection.vendor != "postgresql":
        # The embedded SQLite run begins every transaction IMMEDIATE: writers are
        # serialized already, and SQLite has no advisory locks.
        return
    keys = sorted({_key(merchant_id, kind, value) for kind, value in pairs if value})
    if not keys:
        return
    # One round trip: a target list is evaluated left to right, so the locks are still
    # taken one after another in sorted order.
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(keys)), keys)


def lock_assessment(*, merchant_id: int, assessment_id: str) -> FraudAssessment | None:
    return (
        FraudAssessment.objects.select_for_update(of=("self",))
        .filter(merchant_id=merchant_id, public_id=assessment_id)
        .first()
    )


def lock_profile(merchant_id: int) -> FraudProfile:
    FraudProfile.objects.get_or_create(merchant_id=merchant_id)
    return FraudProfile.objects.select_for_update().get(merchant_id=merchant_id)
