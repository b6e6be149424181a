from datetime import datetime

from django.db.models import QuerySet

from merchants.audit.models import AuditEntry


def audit_list(
    *,
    merchant_id: int,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    actor_type: str | None = None,
    action: str | None = None,
    created_gte: datetime | None = None,
    created_lte: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The merchant's audit trail, filtered; the caller orders and pages it."""
    entries = AuditEntry.objects.filter(merchant_id=merchant_id)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if actor:
        entries = entries.filter(actor=actor)
    if actor_type:
        entries = entries.filter(actor_type=actor_type)
    if action:
        entries = entries.filter(action=action)
    if created_gte:
        entries = entries.filter(created_at__gte=created_gte)
    if created_lte:
        entries = entries.filter(created_at__lte=created_lte)
    return entries
