"""What scoring reads of a merchant's fraud setup, from process memory (core/process_cache.py).

Every confirm scores its attempt; the profile (limits, whether the default rules are in),
the active rules and the allow/block lists change only when the merchant's staff edit
them. Any save, delete or queryset update of one of those rows (services, admin, scripts
through the ORM) outdates every process's copy when it commits (the signals below, and
the models' InvalidatingQuerySet). Entries are shared
between requests: callers read them and never change them.
"""

from django.db.models.signals import post_delete, post_save

from core.process_cache import cached, invalidate_on_update, scope_invalidate
from fraud.models import FraudProfile, FraudRule, ListEntry

# A list this long is not held in memory (it would be per process): it is asked for the
# facts at hand instead, with one indexed query.
LIST_ENTRIES_IN_MEMORY = 5000


def _scope(merchant_id: int) -> str:
    return f"fraud-setup:{merchant_id}"


def fraud_profile(merchant_id: int) -> FraudProfile | None:
    return cached(
        "fraud-profile",
        merchant_id,
        scope=_scope(merchant_id),
        load=lambda: FraudProfile.objects.filter(merchant_id=merchant_id).first(),
    )


def active_rules(merchant_id: int) -> list[FraudRule]:
    return cached(
        "fraud-rules",
        merchant_id,
        scope=_scope(merchant_id),
        load=lambda: list(FraudRule.objects.filter(merchant_id=merchant_id, is_active=True).order_by("priority", "id")),
    )


def _list_entries(merchant_id: int) -> frozenset | None:
    """Every (list, kind, value) of the merchant, or None when there are too many to hold."""

    def load():
        rows = list(
            ListEntry.objects.filter(merchant_id=merchant_id).values_list("list", "kind", "value")[
                : LIST_ENTRIES_IN_MEMORY + 1
            ]
        )
        return None if len(rows) > LIST_ENTRIES_IN_MEMORY else frozenset(rows)

    return cached("fraud-lists", merchant_id, scope=_scope(merchant_id), load=load)


def list_hits(merchant_id: int, pairs: set) -> dict[str, list]:
    """{list: sorted (kind, value) pairs of `pairs` on it} for the allow and block lists."""
    hits = {ListEntry.List.ALLOW: set(), ListEntry.List.BLOCK: set()}
    if not pairs:
        return {name: [] for name in hits}
    entries = _list_entries(merchant_id)
    if entries is None:
        entries = ListEntry.objects.filter(merchant_id=merchant_id, value__in={value for _, value in pairs})
        entries = entries.values_list("list", "kind", "value")
    for name, kind, value in entries:
        if (kind, value) in pairs and name in hits:
            hits[name].add((kind, value))
    return {name: sorted(found) for name, found in hits.items()}


def _setup_changed(sender, instance, **kwargs):
    scope_invalidate(_scope(instance.merchant_id))


for _model in (FraudProfile, FraudRule, ListEntry):
    post_save.connect(_setup_changed, sender=_model, dispatch_uid=f"fraud-setup-{_model.__name__}")
    post_delete.connect(_setup_changed, sender=_model, dispatch_uid=f"fraud-setup-{_model.__name__}")
    # A queryset update() sends no signal: the model's manager outdates it instead.
    invalidate_on_update(_model, fields=("merchant_id",), scopes=lambda row: [_scope(row["merchant_id"])])
