"""The one way any app writes to the audit trail.

`audit_record` is called inside the transaction that makes the change, by the helper that
already records it (the timeline or event log of that object), so a change and its audit
row commit or roll back together. It never raises for a missing request id: jobs have none.
"""

from core.request_context import current_request_id
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


def audit_record(
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
    return AuditEntry.objects.create(
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
