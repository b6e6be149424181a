"""What every request reads about its caller, from process memory (core/process_cache.py).

An API key and its merchant are read on every call and change almost never; each entry
is outdated by the commit of any change to the key or to its merchant (the signals below,
so admin edits count too). Callers get their own copy of the merchant: a request may set
attributes on request.user without another request seeing them.
"""

import copy
from dataclasses import dataclass
from datetime import datetime

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.process_cache import cached, invalidate_on_update, scope_invalidate
from merchants.models import ApiKey, Merchant


@dataclass
class CachedKey:
    pk: int
    kind: str
    lookup: str
    digest: str
    revoked_at: datetime | None
    merchant: Merchant
    # Per process: the last time this process wrote last_used_at (bookkeeping only).
    last_used_at: datetime | None

    @property
    def is_active(self) -> bool:
        return ApiKey(revoked_at=self.revoked_at).is_active


def _key_scope(lookup: str) -> str:
    return f"apikey:{lookup}"


def _merchant_scope(merchant_id: int) -> str:
    return f"merchant:{merchant_id}"


def api_key_for_lookup(lookup: str) -> CachedKey | None:
    def load():
        row = ApiKey.objects.select_related("merchant").filter(lookup=lookup).first()
        if row is None:
            return None
        return CachedKey(
            pk=row.pk,
            kind=row.kind,
            lookup=row.lookup,
            digest=row.digest,
            revoked_at=row.revoked_at,
            merchant=row.merchant,
            last_used_at=row.last_used_at,
        )

    # An unknown lookup is remembered too (a guessing client costs no query); creating a
    # key with that lookup outdates it.
    return cached("apikey", lookup, scope=_key_scope(lookup), load=load)


def active_merchant(merchant_id: int) -> Merchant | None:
    merchant = cached(
        "merchant",
        merchant_id,
        scope=_merchant_scope(merchant_id),
        load=lambda: Merchant.objects.filter(pk=merchant_id).first(),
    )
    return copy.copy(merchant) if merchant is not None and merchant.is_active else None


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
def _api_key_changed(sender, instance, **kwargs):
    scope_invalidate(_key_scope(instance.lookup))


@receiver(post_save, sender=Merchant)
@receiver(post_delete, sender=Merchant)
def _merchant_changed(sender, instance, **kwargs):
    for scope in _merchant_scopes(instance.pk):
        scope_invalidate(scope)


def _merchant_scopes(merchant_id: int) -> list[str]:
    # A key's entry carries its merchant, so the merchant's keys go with it.
    lookups = ApiKey.objects.filter(merchant_id=merchant_id).values_list("lookup", flat=True)
    return [_merchant_scope(merchant_id), *(_key_scope(lookup) for lookup in lookups)]


# Queryset updates bypass the signals above. last_used_at is per-process bookkeeping
# (merchants.authentication), written on use: it outdates nothing.
invalidate_on_update(
    ApiKey, fields=("lookup",), scopes=lambda row: [_key_scope(row["lookup"])], ignore=("last_used_at",)
)
invalidate_on_update(Merchant, fields=("id",), scopes=lambda row: _merchant_scopes(row["id"]))


def _webhooks_scope(merchant_id: int) -> str:
    return f"webhooks:{merchant_id}"


def webhook_subscriptions(merchant_id: int) -> list[list[str]]:
    """The event patterns of each enabled endpoint of the merchant."""
    from merchants.webhooks.models import WebhookEndpoint

    return cached(
        "webhook-subscriptions",
        merchant_id,
        scope=_webhooks_scope(merchant_id),
        load=lambda: list(
            WebhookEndpoint.objects.filter(
                merchant_id=merchant_id, kind=WebhookEndpoint.Kind.ENDPOINT, status=WebhookEndpoint.Status.ENABLED
            ).values_list("events", flat=True)
        ),
    )


def _webhook_endpoint_changed(sender, instance, **kwargs):
    scope_invalidate(_webhooks_scope(instance.merchant_id))


def connect_webhook_signals():
    from merchants.webhooks.models import WebhookEndpoint

    post_save.connect(_webhook_endpoint_changed, sender=WebhookEndpoint, dispatch_uid="webhook-subscriptions")
    post_delete.connect(_webhook_endpoint_changed, sender=WebhookEndpoint, dispatch_uid="webhook-subscriptions")
