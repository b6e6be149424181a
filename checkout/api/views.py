from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response

from checkout.api.permissions import SecretOrSessionClientToken
from checkout.api.serializers import (
    SessionCreateSerializer,
    SessionEventSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
    SessionWithValidationSerializer,
)
from checkout.pricing_selectors import session_blockers_for
from checkout.selectors import (
    payment_intent_summaries_for,
    payment_intent_summary_for,
    session_get,
    session_list,
    session_timeline,
)
from checkout.services import sessions as session_services
from core.api.actors import actor_for
from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView, etag_for, if_match_versions
from core.exceptions import DomainError

# The API document's own example (section 1), as merchants copy it.
CREATE_EXAMPLE = OpenApiExample(
    "Bind a cart (the API document's example)",
    request_only=True,
    value={
        "cart_id": "cart_123",
        "owner": {"type": "user", "id": "user_1"},
        "currency": "GBP",
        "channel": "web",
        "metadata": {"source": "campaign_x"},
        "options": {"capture_mode": "auto", "require_billing_address": True},
    },
)
CREATE_WITH_LINES_EXAMPLE = OpenApiExample(
    "A guest's two-line cart, with return URLs",
    request_only=True,
    value={
        "cart_id": "cart_8812",
        "currency": "USD",
        "owner": {"type": "guest", "id": "g_42"},
        "lines": [
            {"sku": "TSHIRT-M", "name": "T-shirt (M)", "quantity": 2, "unit_amount": 1999, "tax_code": "apparel"},
            {"sku": "MUG", "name": "Mug", "quantity": 1, "unit_amount": 1250},
        ],
        "return_urls": {
            "success_url": "https://shop.example/thanks",
            "error_url": "https://shop.example/cart",
            "callback_url": "https://shop.example/hooks/checkout",
        },
        "metadata": {"order_ref": "A-1001"},
    },
)
TRUE_VALUES = {"1", "true", "yes"}
FALSE_VALUES = {"0", "false", "no"}


def query_flag(request, name: str, *, default: bool) -> bool:
    """A true/false query parameter; anything else is a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in TRUE_VALUES:
        return True
    if raw.lower() in FALSE_VALUES:
        return False
    raise DomainError(f"{name} must be true or false.", param=name)


def session_response(session, *, status=200, context=None):
    """Every endpoint that answers with a session answers the same canonical shape."""
    context = {"payment_intent": payment_intent_summary_for(session), **(context or {})}
    return Response(
        SessionSerializer(session, context=context).data, status=status, headers={"ETag": etag_for(session.version)}
    )


def session_response_validated(session):
    """The session with `validation_results` (as POST /validate): reads only what session_get
    prefetched, plus the promotion and a partial hold when the session has them."""
    blockers = session_blockers_for(session)
    response = session_response(session)
    response.data["validation_results"] = {"valid": not blockers, "blockers": blockers}
    return response


class SessionListCreateApi(ApiView):
    @extend_schema(
        operation_id="sessions_create",
        tags=["Sessions"],
        request=SessionCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        examples=[CREATE_EXAMPLE, CREATE_WITH_LINES_EXAMPLE],
        description=(
            "Binds a cart to a new session (status `created`). `lines` may be left out: the session is then "
            "bound to `cart_id` alone with an empty `cart_snapshot`, and gets its lines by PATCH; calculate, "
            "reserve and payment refuse an empty cart (409 `cart_empty`). `owner` is `{type: user|guest, id}` "
            "(a plain string is read as a user's id). `options.capture_mode` is `auto` or `manual` "
            "(`automatic` is accepted as an alias of `auto`); answers always say `auto` or `manual`."
        ),
        responses={201: SessionSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request):
        serializer = SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = session_services.session_create(
            merchant=self.merchant, data=serializer.validated_data, actor=actor_for(request)
        )
        return session_response(session, status=201)

    @extend_schema(
        operation_id="sessions_list",
        tags=["Sessions"],
        parameters=[
            OpenApiParameter("status", str, description="Only sessions in this status"),
            OpenApiParameter("limit", int, description="Page size, 1 to 100 (default 20)"),
            OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
        ],
        responses={200: paginated(SessionSerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        paginator = CursorPage()
        page = paginator.paginate_queryset(
            session_list(merchant_id=self.merchant.pk, status=request.query_params.get("status")), request, view=self
        )
        summaries = payment_intent_summaries_for(page)
        data = [
            SessionSerializer(session, context={"payment_intent": summaries.get(session.pk)}).data for session in page
        ]
        return paginator.get_paginated_response(data)


class SessionDetailApi(ApiView):
    def get_permissions(self):
        # A shopper's browser may read its own session with the session's client token.
        if self.request.method == "GET":
            return [SecretOrSessionClientToken()]
        return super().get_permissions()

    @extend_schema(
        operation_id="sessions_retrieve",
        tags=["Sessions"],
        description="The session and its canonical state, with `validation_results`: what still blocks payment.",
        responses={200: SessionWithValidationSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, checkout_id):
        return session_response_validated(session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id))

    @extend_schema(
        operation_id="sessions_update",
        tags=["Sessions"],
        description=(
            "Partial update: customer info (`customer`), metadata, owner, lines, options, TTL "
            "(`expires_in_seconds` from now, or `extend_ttl_seconds` added to the current expiry; at most "
            "24 hours from now). Send the ETag in `If-Match`; a stale one is 412."
        ),
        request=SessionUpdateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER],
        responses={200: SessionSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def patch(self, request, checkout_id):
        serializer = SessionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_services.session_update(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            changes=serializer.validated_data,
            actor=actor_for(request),
            expected_versions=if_match_versions(request),
        )
        return session_response(session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id))

    @extend_schema(
        operation_id="sessions_cancel",
        tags=["Sessions"],
        parameters=[
            IDEMPOTENCY_KEY_HEADER,
            OpenApiParameter(
                "release_inventory",
                bool,
                description="true (the default): the session's stock hold is released at once. false: the hold "
                "stays until its own expiry (at most the merchant's hold_minutes), then lapses.",
            ),
        ],
        responses={200: SessionSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def delete(self, request, checkout_id):
        release = query_flag(request, "release_inventory", default=True)
        session_services.session_cancel(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, actor=actor_for(request), release_inventory=release
        )
        return session_response(session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id))


class SessionRefreshApi(ApiView):
    @extend_schema(
        operation_id="sessions_refresh",
        tags=["Sessions"],
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        description=(
            "Extends the session's life, recalculates totals it already has (while editable) and answers the "
            "session with `validation_results`: what still blocks payment (as POST /validate)."
        ),
        responses={200: SessionWithValidationSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, checkout_id):
        session_services.session_refresh(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, actor=actor_for(request)
        )
        return session_response_validated(session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id))


class SessionTimelineApi(ApiView):
    @extend_schema(
        operation_id="sessions_timeline",
        tags=["Sessions"],
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("cursor", str)],
        responses={200: paginated(SessionEventSerializer), **ERROR_RESPONSES},
    )
    def get(self, request, checkout_id):
        paginator = CursorPage()
        paginator.ordering = ("id",)
        page = paginator.paginate_queryset(
            session_timeline(merchant_id=self.merchant.pk, checkout_id=checkout_id), request, view=self
        )
        return paginator.get_paginated_response(SessionEventSerializer(page, many=True).data)
