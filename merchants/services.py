"""Writes for tenants and their credentials."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from core.exceptions import DomainError, NotFound
from core.ids import random_token
from core.money import is_currency
from core.versioning import check_version
from merchants.audit.services import audit_record
from merchants.credentials import generate_key, key_digest
from merchants.gateways import gateway_is_configured
from merchants.models import ApiKey, Merchant, MerchantOAuthClient
from merchants.webhooks.services import callback_secret_create


@dataclass(frozen=True)
class MerchantSecrets:
    """Everything that is shown once, at creation, and never again."""

    merchant: Merchant
    secret_key: str
    publishable_key: str
    oauth_client_id: str
    oauth_client_secret: str
    # Readable again later (GET /webhooks/callback-secret): it is encrypted, not hashed.
    callback_secret: str = ""

    def as_dict(self):
        return {
            "merchant_id": self.merchant.public_id,
            "name": self.merchant.name,
            "secret_key": self.secret_key,
            "publishable_key": self.publishable_key,
            "oauth_client_id": self.oauth_client_id,
            "oauth_client_secret": self.oauth_client_secret,
            "callback_secret": self.callback_secret,
        }


def _key_snapshot(api_key: ApiKey) -> dict:
    # The key's public part only: the audit trail must never hold a usable secret.
    return {
        "lookup": api_key.lookup,
        "kind": api_key.kind,
        "name": api_key.name,
        "last4": api_key.last4,
        "revoked_at": api_key.revoked_at.isoformat() if api_key.revoked_at else None,
    }


def api_key_create(*, merchant: Merchant, kind: str, name: str = "", actor: str = "system:keys") -> tuple[ApiKey, str]:
    """Creates a key and returns it with its raw value, which is stored only as a digest."""
    raw, lookup = generate_key(kind)
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            merchant=merchant, kind=kind, name=name, lookup=lookup, digest=key_digest(raw), last4=raw[-4:]
        )
        audit_record(
            merchant_id=merchant.pk,
            object_type="api_key",
            object_id=lookup,
            action="created",
            actor=actor,
            after=_key_snapshot(api_key),
        )
    return api_key, raw


def api_key_revoke(*, api_key_id: int, grace_seconds: int = 0, actor: str = "system:keys") -> ApiKey:
    """Revokes a key now, or after `grace_seconds` so integrations can roll over."""
    with transaction.atomic():
        api_key = ApiKey.objects.select_for_update().filter(pk=api_key_id).first()
        if api_key is None:
            raise NotFound()
        if api_key.revoked_at is None:
            before = _key_snapshot(api_key)
            api_key.revoked_at = timezone.now() + timezone.timedelta(seconds=grace_seconds)
            api_key.save(update_fields=["revoked_at"])
            audit_record(
                merchant_id=api_key.merchant_id,
                object_type="api_key",
                object_id=api_key.lookup,
                action="revoked",
                actor=actor,
                before=before,
                after=_key_snapshot(api_key),
            )
    return api_key


def oauth_client_create(*, merchant: Merchant, actor: str = "system:keys") -> tuple[Application, str]:
    """An OAuth2 client-credentials application for the merchant; returns its raw secret."""
    raw_secret = random_token(48)
    application = Application(
        name=f"{merchant.name} API client",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=raw_secret,  # hashed by the model's save()
        hash_client_secret=True,
    )
    with transaction.atomic():
        application.save()
        MerchantOAuthClient.objects.create(merchant=merchant, application=application)
        audit_record(
            merchant_id=merchant.pk,
            object_type="oauth_client",
            object_id=str(application.client_id),
            action="created",
            actor=actor,
            after={"client_id": str(application.client_id), "name": application.name},
        )
    return application, raw_secret


def merchant_create(*, name: str, **settings_values) -> MerchantSecrets:
    name = (name or "").strip()
    if not name:
        raise DomainError("A merchant needs a name.", param="name")
    with transaction.atomic():
        merchant = Merchant.objects.create(name=name, **settings_values)
        _, secret_key = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, name="default")
        _, publishable_key = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, name="default")
        application, client_secret = oauth_client_create(merchant=merchant)
        callback_secret = callback_secret_create(merchant_id=merchant.pk)
    return MerchantSecrets(
        merchant=merchant,
        secret_key=secret_key,
        publishable_key=publishable_key,
        oauth_client_id=application.client_id,
        oauth_client_secret=client_secret,
        callback_secret=callback_secret,
    )


SETTINGS_FIELDS = (
    "name",
    "is_active",
    "country",
    "default_currency",
    "supported_currencies",
    "capture_mode",
    "session_ttl_minutes",
    "payment_time_limit_minutes",
    "max_payment_attempts",
    "approval_mode",
    "prices_include_tax",
    "gateway",
    "support_email",
    "extra_settings",
)


def _settings_snapshot(merchant: Merchant) -> dict:
    return {field: getattr(merchant, field) for field in SETTINGS_FIELDS} | {"version": merchant.version}


def _settings_apply(merchant: Merchant, changes: dict) -> None:
    """Sets `changes` on `merchant` (not saved), refusing what the merchant cannot have."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(f"Unknown setting {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    new_gateway = changes.get("gateway")
    if new_gateway is not None and new_gateway != merchant.gateway and not gateway_is_configured(new_gateway):
        raise DomainError(
            f"The {new_gateway} gateway is not available on this platform.",
            code="gateway_not_configured",
            param="gateway",
        )
    for field, value in changes.items():
        if field == "extra_settings":
            # Merged key by key, as Stripe merges metadata: a null value removes a key,
            # so changing one setting never wipes the others.
            merged = {**merchant.extra_settings, **value}
            value = {key: item for key, item in merged.items() if item is not None}
        setattr(merchant, field, value)
    currencies = merchant.supported_currencies
    if not isinstance(currencies, list) or not all(isinstance(c, str) and is_currency(c) for c in currencies):
        raise DomainError("supported_currencies must be ISO 4217 codes.", param="supported_currencies")
    if merchant.default_currency not in currencies:
        raise DomainError("default_currency must be one of supported_currencies.", param="default_currency")


def merchant_settings_check(*, merchant_id: int, changes: dict) -> None:
    """Raises what merchant_settings_update would refuse, writing nothing (a form asks
    before it saves)."""
    _settings_apply(Merchant.objects.get(pk=merchant_id), changes)


def merchant_settings_update(
    *, merchant_id: int, changes: dict, expected_versions=None, actor: str = "system:settings"
) -> Merchant:
    """Applies validated setting changes under a row lock; raises 412 on a stale If-Match.
    The change is audited (before/after) in the same transaction."""
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
        check_version(expected_versions, merchant.version)
        before = _settings_snapshot(merchant)
        _settings_apply(merchant, changes)
        merchant.version += 1
        merchant.save()
        audit_record(
            merchant_id=merchant.pk,
            object_type="settings",
            object_id=merchant.public_id,
            action="settings.updated",
            actor=actor,
            before=before,
            after=_settings_snapshot(merchant),
            data={"changed": sorted(changes)},
        )
    return merchant
