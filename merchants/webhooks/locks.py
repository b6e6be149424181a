"""The only place webhook code builds select_for_update querysets.

Order when several rows are locked: event → delivery → endpoint, by primary key.
"""

from core.exceptions import NotFound
from merchants.models import Event, Merchant
from merchants.webhooks.models import WebhookDelivery, WebhookEndpoint


def lock_event(*, event_id: int) -> Event | None:
    return Event.objects.select_for_update().filter(pk=event_id).first()


def lock_delivery(*, delivery_id: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()


def lock_endpoint(*, endpoint_pk: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_pk).first()


def lock_merchant_endpoint(*, merchant_id: int, endpoint_id: str) -> WebhookEndpoint:
    """The merchant's subscribed endpoint, locked; another merchant's is 'not found' too."""
    endpoint = (
        WebhookEndpoint.objects.select_for_update()
        .filter(merchant_id=merchant_id, public_id=endpoint_id, kind=WebhookEndpoint.Kind.ENDPOINT)
        .exclude(status=WebhookEndpoint.Status.DELETED)
        .first()
    )
    if endpoint is None:
        raise NotFound("No such webhook endpoint.", param="id")
    return endpoint


def lock_merchant(*, merchant_id: int) -> Merchant:
    return Merchant.objects.select_for_update().get(pk=merchant_id)
