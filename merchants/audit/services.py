"""The one way any app writes to the audit trail.

`audit_record` is called inside the transaction that makes the change, by the helper that
already records it (the timeline or event log of that object), so a change and its audit
row commit or roll back together. It never raises for a missing request id: jobs have none.
A helper that writes its own log row as well builds the entry with `audit_entry` and
writes both in one statement (core.rows.insert_rows): the audit trail costs no round trip.
"""

from core.request_context import current_request_id
from core.rows import insert_rows
from merchants.audit.models import AuditEntry
from merchants.credentials import KEY_PREFIXES

ActorType = AuditEntry.ActorType
_PREFIXED = {"staff": ActorType.STAFF, "system": ActorType.SYSTEM, "gateway": ActorType.GATEWAY}


def actor_type_of(actor: str) -> str:
    """The kind of actor behind the strings every app already records (core.api.actors)."""
    kind, _, rest = actor.partition(":")
    if kind == "merchant":
        is_key = any(rest.startswith(prefix) for prefix in KEY_PREFIXES.values())
        return ActorType.API_KEY if is_key else ActorType.OAUTH_CLIENT
    if kind == "shopper":
        return ActorType.SHOPPER
    return _PREFIXED.get(kind, ActorType.ANONYMOUS if kind == "anonymous" else ActorType.SYSTEM)


def audit_entry(
    *,
    merchant_id: int,
    object_type: str,
    object_id: str,
    action: str,
    actor: str,
    before: dict | None = None,
    after: dict | None = None,
    data: dict | None = None,
) -> AuditEntry:
    """The audit row of a change, not yet written (core.rows.insert_rows writes it)."""
    return AuditEntry(
        merchant_id=merchant_id,
        object_type=object_type,
        object_id=object_id,
        action=action,
        actor=actor[:140],
        actor_type=actor_type_of(actor),
        before=before,
        after=after,
        data=data or {},
        request_id=current_request_id(),
    )


def audit_record(**fields) -> AuditEntry:
    """Writes one audit row (the keyword arguments of `audit_entry`)."""
    entry = audit_entry(**fields)
    insert_rows([entry])
    return entry
