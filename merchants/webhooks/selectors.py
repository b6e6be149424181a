"""Reads of endpoints, events and deliveries; never write."""

from datetime import timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from core.exceptions import DomainError, NotFound
from merchants.models import Event
from merchants.webhooks.crypto import secret_decrypt
from merchants.webhooks.event_types import pattern_problem
from merchants.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret

EVENT_LIST_DAYS = 30


def endpoint_list(*, merchant_id: int):
    return WebhookEndpoint.objects.filter(merchant_id=merchant_id, kind=WebhookEndpoint.Kind.ENDPOINT).exclude(
        status=WebhookEndpoint.Status.DELETED
    )


def endpoint_get(*, merchant_id: int, endpoint_id: str) -> WebhookEndpoint:
    endpoint = endpoint_list(merchant_id=merchant_id).filter(public_id=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.", param="id")
    return endpoint


def endpoint_for_test(*, merchant_id: int, endpoint_id: str | None) -> WebhookEndpoint:
    """The endpoint named, or the merchant's only one (the API document's test call has no body)."""
    if endpoint_id:
        return endpoint_get(merchant_id=merchant_id, endpoint_id=endpoint_id)
    endpoints = list(endpoint_list(merchant_id=merchant_id).order_by("pk")[:2])
    if not endpoints:
        raise DomainError(
            "There is no webhook endpoint to test; create one with POST /webhooks.",
            code="no_webhook_endpoint",
            param="endpoint_id",
        )
    if len(endpoints) > 1:
        raise DomainError("Name the endpoint to test: this merchant has several.", param="endpoint_id")
    return endpoints[0]


def delivery_list(*, merchant_id: int, endpoint_id: str, state: str | None = None):
    endpoint = endpoint_get(merchant_id=merchant_id, endpoint_id=endpoint_id)
    if state and state not in WebhookDelivery.State.values:
        raise DomainError(f"state must be one of {', '.join(WebhookDelivery.State.values)}.", param="state")
    qs = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("number")))
    )
    return qs.filter(state=state) if state else qs


def event_list(*, merchant_id: int, type: str | None = None, request_id: str | None = None):
    """The merchant's events of the last EVENT_LIST_DAYS days, optionally of a type or
    pattern (`payment.*`), or caused by one request."""
    qs = Event.objects.filter(
        merchant_id=merchant_id, created_at__gte=timezone.now() - timedelta(days=EVENT_LIST_DAYS)
    ).select_related("merchant")
    if type and type != "*":
        problem = pattern_problem(type)
        if problem:
            raise DomainError(problem, param="type")
        qs = qs.filter(type__startswith=type[:-1]) if type.endswith(".*") else qs.filter(type=type)
    if request_id:
        qs = qs.filter(request_id=request_id)
    return qs


def event_get(*, merchant_id: int, event_id: str) -> Event:
    event = event_list(merchant_id=merchant_id).filter(public_id=event_id).first()
    if event is None:
        raise NotFound("No such event.", param="id")
    return event


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The decrypted secrets that sign for `endpoint` now, newest first (the merchant's
    callback secrets for a callback target). Never log the result."""
    owner = Q(endpoint__isnull=True) if endpoint.kind == WebhookEndpoint.Kind.CALLBACK else Q(endpoint=endpoint)
    rows = (
        WebhookSecret.objects.filter(owner, merchant_id=endpoint.merchant_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("-created_at", "-id")
    )
    return [secret_decrypt(row.ciphertext) for row in rows]


def endpoint_failing_count() -> int:
    """Enabled endpoints whose deliveries keep failing (they are disabled after some days)."""
    return WebhookEndpoint.objects.filter(status=WebhookEndpoint.Status.ENABLED, failing_since__isnull=False).count()
