"""Writes for webhook endpoints and signing secrets.

Endpoint state changes (disable, enable, delete) go through the model's transitions, and
each is written to the merchant's event log in the same transaction.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from core.exceptions import DomainError, InvalidStateTransition
from merchants.audit.services import audit_record
from merchants.events import event_emit
from merchants.webhooks.crypto import secret_decrypt, secret_encrypt, secret_from_merchant, secret_generate
from merchants.webhooks.event_types import pattern_problem
from merchants.webhooks.locks import lock_endpoint, lock_merchant, lock_merchant_endpoint
from merchants.webhooks.models import WebhookEndpoint, WebhookSecret
from merchants.webhooks.url_policy import url_check


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.public_id,
        "kind": endpoint.kind,
        "url": endpoint.url,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason or None,
    }


def _audit(endpoint: WebhookEndpoint, action: str, *, actor: str, before: dict | None) -> None:
    audit_record(
        merchant_id=endpoint.merchant_id,
        object_type="webhook_endpoint",
        object_id=endpoint.public_id,
        action=action,
        actor=actor,
        before=before,
        after=_snapshot(endpoint),
    )


def _record_transition(endpoint: WebhookEndpoint, before: dict, event_type: str, *, actor: str) -> None:
    endpoint.save()
    _audit(endpoint, event_type.removeprefix("webhook_endpoint."), actor=actor, before=before)
    event_emit(
        merchant_id=endpoint.merchant_id,
        type=event_type,
        data={"before": before, "after": _snapshot(endpoint)},
    )


def _secret_add(*, merchant_id: int, endpoint: WebhookEndpoint | None, secret: str | None = None) -> str:
    secret = secret or secret_generate()
    WebhookSecret.objects.create(merchant_id=merchant_id, endpoint=endpoint, ciphertext=secret_encrypt(secret))
    return secret


def _secret_rotate(*, merchant_id: int, endpoint: WebhookEndpoint | None) -> str:
    """Adds a new secret; the current ones keep signing for WEBHOOK_SECRET_OVERLAP_HOURS.
    Callers hold the owner's lock (endpoint, or merchant for callback secrets)."""
    now = timezone.now()
    overlap_end = now + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    owned = WebhookSecret.objects.filter(merchant_id=merchant_id, endpoint=endpoint)
    owned.filter(expires_at__lte=now).delete()
    owned.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=overlap_end)).update(expires_at=overlap_end)
    return _secret_add(merchant_id=merchant_id, endpoint=endpoint)


def endpoint_create(
    *,
    merchant_id: int,
    url: str,
    events: list[str],
    description: str = "",
    secret: str | None = None,
    actor: str = "system:webhooks",
):
    """Subscribes `url` to `events`; returns (endpoint, signing secret shown once).

    `secret` is the merchant's own (checked for strength by secret_from_merchant);
    without it one is generated. Raises DomainError (400) for a refused URL or secret, an
    unknown event type, or too many endpoints. The URL is resolved before the
    transaction: DNS is network I/O.
    """
    if secret is not None:
        try:
            secret = secret_from_merchant(secret)
        except ValueError as exc:
            raise DomainError(str(exc), code="secret_too_weak", param="secret") from None
    url_check(url)
    for pattern in events:
        problem = pattern_problem(pattern)
        if problem:
            raise DomainError(problem, param="events")
    if not events:
        raise DomainError("Subscribe to at least one event type.", param="events")
    with transaction.atomic():
        # The merchant's lock serializes creations, so the cap cannot be raced past.
        lock_merchant(merchant_id=merchant_id)
        existing = WebhookEndpoint.objects.filter(merchant_id=merchant_id, kind=WebhookEndpoint.Kind.ENDPOINT).exclude(
            status=WebhookEndpoint.Status.DELETED
        )
        if existing.count() >= settings.WEBHOOK_MAX_ENDPOINTS_PER_MERCHANT:
            raise DomainError(
                f"A merchant can have at most {settings.WEBHOOK_MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints.",
                code="too_many_endpoints",
            )
        endpoint = WebhookEndpoint.objects.create(
            merchant_id=merchant_id, url=url, events=list(dict.fromkeys(events)), description=description
        )
        secret = _secret_add(merchant_id=merchant_id, endpoint=endpoint, secret=secret)
        _audit(endpoint, "created", actor=actor, before=None)
    return endpoint, secret


def endpoint_delete(*, merchant_id: int, endpoint_id: str, actor: str = "system:webhooks") -> WebhookEndpoint:
    """Stops all deliveries to the endpoint and forgets its secrets; its log stays."""
    with transaction.atomic():
        endpoint = lock_merchant_endpoint(merchant_id=merchant_id, endpoint_id=endpoint_id)
        before = _snapshot(endpoint)
        endpoint.mark_deleted()
        WebhookSecret.objects.filter(endpoint=endpoint).delete()
        _record_transition(endpoint, before, "webhook_endpoint.deleted", actor=actor)
    return endpoint


def endpoint_enable(*, merchant_id: int, endpoint_id: str, actor: str = "system:webhooks") -> WebhookEndpoint:
    """Re-enables a disabled endpoint; raises InvalidStateTransition (409) otherwise."""
    with transaction.atomic():
        endpoint = lock_merchant_endpoint(merchant_id=merchant_id, endpoint_id=endpoint_id)
        if endpoint.status != WebhookEndpoint.Status.DISABLED:
            raise InvalidStateTransition(f"An {endpoint.status} endpoint cannot be enabled.")
        before = _snapshot(endpoint)
        endpoint.enable()
        _record_transition(endpoint, before, "webhook_endpoint.enabled", actor=actor)
    return endpoint


def endpoint_disable(*, endpoint_pk: int, reason: str) -> bool:
    """Disables an enabled endpoint and emails the merchant after commit. Joins the
    caller's transaction when there is one (delivery recording holds the delivery lock
    first). Returns False when it was not enabled."""
    with transaction.atomic():
        endpoint = lock_endpoint(endpoint_pk=endpoint_pk)
        if endpoint is None or endpoint.status != WebhookEndpoint.Status.ENABLED:
            return False
        before = _snapshot(endpoint)
        endpoint.disable(reason=reason, at=timezone.now())
        _record_transition(endpoint, before, "webhook_endpoint.disabled", actor="system:webhooks")
        transaction.on_commit(lambda: _notify_disabled(endpoint.pk))
    return True


def admin_endpoint_enable(*, endpoint_pk: int, actor: str = "staff") -> bool:
    with transaction.atomic():
        endpoint = lock_endpoint(endpoint_pk=endpoint_pk)
        if endpoint is None or endpoint.status != WebhookEndpoint.Status.DISABLED:
            return False
        before = _snapshot(endpoint)
        endpoint.enable()
        _record_transition(endpoint, before, "webhook_endpoint.enabled", actor=actor)
    return True


def _notify_disabled(endpoint_pk: int) -> None:
    from merchants.tasks import notify_endpoint_disabled  # the tasks module imports this one

    notify_endpoint_disabled.delay(endpoint_pk)


def endpoint_secret_rotate(*, merchant_id: int, endpoint_id: str, actor: str = "system:webhooks"):
    """Returns (endpoint, new secret shown once); the previous secret signs for 24 h more."""
    with transaction.atomic():
        endpoint = lock_merchant_endpoint(merchant_id=merchant_id, endpoint_id=endpoint_id)
        secret = _secret_rotate(merchant_id=merchant_id, endpoint=endpoint)
        _audit(endpoint, "secret_rotated", actor=actor, before=None)
    return endpoint, secret


def callback_secret_rotate(*, merchant_id: int, actor: str = "system:webhooks") -> str:
    """A new secret for session callbacks (shown once); the previous one signs for 24 h more."""
    with transaction.atomic():
        merchant = lock_merchant(merchant_id=merchant_id)
        secret = _secret_rotate(merchant_id=merchant_id, endpoint=None)
        audit_record(
            merchant_id=merchant_id,
            object_type="callback_secret",
            object_id=merchant.public_id,
            action="secret_rotated",
            actor=actor,
        )
        return secret


def callback_secret_create(*, merchant_id: int) -> str:
    """The first callback secret of a new merchant (inside merchant_create's transaction)."""
    return _secret_add(merchant_id=merchant_id, endpoint=None)


def callback_secret_reveal(*, merchant_id: int) -> tuple[str, object]:
    """The merchant's current callback signing secret and when it stops signing (None: it
    does not), creating it on first use. Rotates nothing, so repeated reads agree.

    Locks the merchant only when it must create the secret, so two first reads cannot
    make two.
    """
    current = _callback_secret_current(merchant_id)
    if current is None:
        with transaction.atomic():
            lock_merchant(merchant_id=merchant_id)
            current = _callback_secret_current(merchant_id)
            if current is None:
                _secret_add(merchant_id=merchant_id, endpoint=None)
                current = _callback_secret_current(merchant_id)
    return secret_decrypt(current.ciphertext), current.expires_at


def _callback_secret_current(merchant_id: int) -> WebhookSecret | None:
    """The newest callback secret still valid: the one a rotation last issued."""
    return (
        WebhookSecret.objects.filter(merchant_id=merchant_id, endpoint__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("-created_at", "-pk")
        .first()
    )


def callback_target_get_or_create(*, merchant_id: int, url: str) -> WebhookEndpoint:
    """The delivery target for a session callback_url, with the merchant's callback
    secret created on first use. Runs inside the dispatching transaction."""
    target, _ = WebhookEndpoint.objects.get_or_create(
        merchant_id=merchant_id,
        kind=WebhookEndpoint.Kind.CALLBACK,
        url=url,
        defaults={"description": "Session callback_url"},
    )
    active = WebhookSecret.objects.filter(merchant_id=merchant_id, endpoint__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if not active.exists():
        _secret_add(merchant_id=merchant_id, endpoint=None)
    return target


def endpoint_notify_disabled(*, endpoint_pk: int) -> bool:
    """Emails the merchant's support address that an endpoint was disabled."""
    endpoint = WebhookEndpoint.objects.select_related("merchant").filter(pk=endpoint_pk).first()
    if endpoint is None or endpoint.status != WebhookEndpoint.Status.DISABLED or not endpoint.merchant.support_email:
        return False
    context = {"endpoint": endpoint, "merchant": endpoint.merchant, "base_url": settings.PUBLIC_BASE_URL}
    send_mail(
        subject=f"Webhook endpoint disabled: {endpoint.url}"[:200],
        message=render_to_string("merchants/emails/webhook_endpoint_disabled.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[endpoint.merchant.support_email],
    )
    return True
