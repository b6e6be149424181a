"""Webhook subscriptions, their delivery log, and the event list (SPEC 4.9)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api.actors import actor_for
from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView
from merchants.api.webhook_serializers import (
    CallbackSecretReadSerializer,
    CallbackSecretSerializer,
    EventSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
    WebhookTestResultSerializer,
    WebhookTestSerializer,
)
from merchants.webhook_delivery import endpoint_test_send
from merchants.webhooks import services
from merchants.webhooks.selectors import delivery_list, endpoint_get, endpoint_list, event_get, event_list

TAGS = ["Webhooks"]
DELIVERY_CONTRACT = (
    "Subscribes a URL to events. The signing secret (`whsec_...`) is in this response only.\n\n"
    "Each event is POSTed as JSON and signed per Standard Webhooks: verify `webhook-signature` "
    "with any Standard Webhooks library, and deduplicate on `webhook-id`, which stays the same "
    "on every retry of an event to this endpoint. Any 2xx acknowledges (a session callback_url "
    "must answer exactly 200). Anything else, or no answer within 10 s, is retried after about "
    "5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 20 h and 10 h (each +/-10%), i.e. for about "
    "3 days, then given up (replayable from GET /events). 410 Gone disables the endpoint at once; "
    "an endpoint failing for 5 days is disabled and the merchant's support_email is told. "
    "Redirects are not followed."
)
PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description="Page size, 1 to 100 (default 20)"),
    OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
]
CREATE_EXAMPLES = [
    OpenApiExample(
        "The API document's example",
        request_only=True,
        value={
            "url": "https://shop.example/hooks/checkout",
            "events": ["checkout.created", "payment.succeeded", "checkout.completed", "checkout.failed"],
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        },
    ),
    OpenApiExample(
        "Payments and completed checkouts",
        request_only=True,
        value={
            "url": "https://shop.example/hooks/payments",
            "events": ["payment.*", "checkout.completed"],
            "description": "Order system",
        },
    ),
]


def _page(request, view, queryset, serializer_class):
    paginator = CursorPage()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class WebhookEndpointListCreateApi(ApiView):
    @extend_schema(
        operation_id="webhooks_list",
        tags=TAGS,
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(WebhookEndpointSerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        return _page(request, self, endpoint_list(merchant_id=self.merchant.pk), WebhookEndpointSerializer)

    @extend_schema(
        operation_id="webhooks_create",
        tags=TAGS,
        description=DELIVERY_CONTRACT,
        request=WebhookEndpointCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        examples=CREATE_EXAMPLES,
        responses={201: WebhookEndpointWithSecretSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request):
        serializer = WebhookEndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = services.endpoint_create(
            merchant_id=self.merchant.pk, actor=actor_for(request), **serializer.validated_data
        )
        body = WebhookEndpointWithSecretSerializer(endpoint, context={"secret": secret}).data
        return Response(body, status=201)


class WebhookEndpointDetailApi(ApiView):
    @extend_schema(
        operation_id="webhooks_retrieve", tags=TAGS, responses={200: WebhookEndpointSerializer, **ERROR_RESPONSES}
    )
    def get(self, request, endpoint_id):
        endpoint = endpoint_get(merchant_id=self.merchant.pk, endpoint_id=endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_delete",
        tags=TAGS,
        description="Stops deliveries to the endpoint; pending ones fail. Answers the deleted endpoint.",
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: WebhookEndpointSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def delete(self, request, endpoint_id):
        endpoint = services.endpoint_delete(
            merchant_id=self.merchant.pk, endpoint_id=endpoint_id, actor=actor_for(request)
        )
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookEndpointEnableApi(ApiView):
    @extend_schema(
        operation_id="webhooks_enable",
        tags=TAGS,
        description="Turns a disabled endpoint back on (409 unless it is disabled).",
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: WebhookEndpointSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, endpoint_id):
        endpoint = services.endpoint_enable(
            merchant_id=self.merchant.pk, endpoint_id=endpoint_id, actor=actor_for(request)
        )
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookSecretRotateApi(ApiView):
    @extend_schema(
        operation_id="webhooks_rotate_secret",
        tags=TAGS,
        description="Issues a new signing secret (in this response only). Until the old one expires "
        "(24 h), every delivery carries a signature by each.",
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: WebhookEndpointWithSecretSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, endpoint_id):
        endpoint, secret = services.endpoint_secret_rotate(
            merchant_id=self.merchant.pk, endpoint_id=endpoint_id, actor=actor_for(request)
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint, context={"secret": secret}).data)


class WebhookTestApi(ApiView):
    @extend_schema(
        operation_id="webhooks_test",
        tags=TAGS,
        description="Sends a signed `webhook.test` event to the endpoint now and reports the outcome.",
        request=WebhookTestSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: WebhookTestResultSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request):
        serializer = WebhookTestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = endpoint_test_send(merchant_id=self.merchant.pk, **serializer.validated_data)
        return Response(WebhookTestResultSerializer(result).data)


class CallbackSecretRotateApi(ApiView):
    @extend_schema(
        operation_id="webhooks_callback_secret_retrieve",
        tags=TAGS,
        description="The secret that signs session callbacks (callback_url), read again without rotating "
        "it: every read answers the same secret until a rotation. Callbacks carry the Standard Webhooks "
        "headers `webhook-id`, `webhook-timestamp` and `webhook-signature`.",
        responses={200: CallbackSecretReadSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        secret, expires_at = services.callback_secret_reveal(merchant_id=self.merchant.pk)
        body = {
            "object": "callback_secret",
            "secret": secret,
            "expires_at": expires_at,
            "signature_headers": ["webhook-id", "webhook-timestamp", "webhook-signature"],
        }
        return Response(CallbackSecretReadSerializer(body).data, headers={"Cache-Control": "no-store"})

    @extend_schema(
        operation_id="webhooks_callback_secret_rotate",
        tags=TAGS,
        description="Issues a new secret for session callbacks (callback_url), in this response only. "
        "The previous one keeps signing for 24 h.",
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: CallbackSecretSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request):
        secret = services.callback_secret_rotate(merchant_id=self.merchant.pk, actor=actor_for(request))
        body = {
            "object": "callback_secret",
            "secret": secret,
            "previous_secret_expires_in_hours": settings.WEBHOOK_SECRET_OVERLAP_HOURS,
        }
        return Response(CallbackSecretSerializer(body).data)


class WebhookDeliveryListApi(ApiView):
    @extend_schema(
        operation_id="webhooks_deliveries_list",
        tags=TAGS,
        description="The endpoint's recent deliveries, newest first, each with its attempts.",
        parameters=[
            OpenApiParameter("state", str, enum=["pending", "succeeded", "failed"], description="Only this state"),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(WebhookDeliverySerializer), **ERROR_RESPONSES},
    )
    def get(self, request, endpoint_id):
        deliveries = delivery_list(
            merchant_id=self.merchant.pk, endpoint_id=endpoint_id, state=request.query_params.get("state")
        )
        return _page(request, self, deliveries, WebhookDeliverySerializer)


class EventListApi(ApiView):
    @extend_schema(
        operation_id="events_list",
        tags=["Events"],
        description="Events of the last 30 days, newest first.",
        parameters=[
            OpenApiParameter("type", str, description="An event type or a family such as `payment.*`"),
            OpenApiParameter("request_id", str, description="Only the events this request (X-Request-ID) caused"),
            *PAGE_PARAMETERS,
        ],
        responses={200: paginated(EventSerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        events = event_list(
            merchant_id=self.merchant.pk,
            type=request.query_params.get("type"),
            request_id=request.query_params.get("request_id", "")[:128],
        )
        return _page(request, self, events, EventSerializer)


class EventDetailApi(ApiView):
    @extend_schema(operation_id="events_retrieve", tags=["Events"], responses={200: EventSerializer, **ERROR_RESPONSES})
    def get(self, request, event_id):
        return Response(EventSerializer(event_get(merchant_id=self.merchant.pk, event_id=event_id)).data)
