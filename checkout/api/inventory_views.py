"""Stock holds (SPEC.md section 4, items 5 and 14) and the merchant's stock ledger."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from checkout.api.inventory_serializers import (
    ExtendInputSerializer,
    ReservationSerializer,
    ReserveInputSerializer,
    StockAdjustInputSerializer,
    StockItemSerializer,
    StockListSerializer,
    StockSetInputSerializer,
)
from checkout.api.permissions import SecretOrSessionClientToken
from checkout.inventory_selectors import (
    reservation_get,
    reserved_quantities,
    session_reservations,
    stock_get,
    stock_list,
)
from checkout.services import inventory as inventory_services
from checkout.services import stock as stock_services
from core.api.actors import actor_for
from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES, ErrorEnvelope
from core.api.views import ApiView
from core.exceptions import DomainError

TAG = "Inventory"
MAX_SKU_LENGTH = 100

SHORTFALL_RESPONSE = OpenApiResponse(
    response=ErrorEnvelope,
    description="Not enough stock for every line (`inventory_shortfall`, nothing held), an illegal "
    "transition, or the Idempotency-Key is still in use",
    examples=[
        OpenApiExample(
            "inventory_shortfall",
            value={
                "error": {
                    "type": "invalid_request_error",
                    "code": "inventory_shortfall",
                    "message": "Not enough stock to hold every line; nothing was reserved.",
                    "param": "lines",
                    "explain": "MUG: requested 2, available 1",
                    "lines": [{"sku": "MUG", "requested": 2, "available": 1}],
                }
            },
        )
    ],
)
RESERVE_RESPONSES = {**MUTATION_ERROR_RESPONSES, 409: SHORTFALL_RESPONSE}


def reservation_response(*, merchant_id: int, reservation_id: str, status: int = 200) -> Response:
    reservation = reservation_get(merchant_id=merchant_id, reservation_id=reservation_id)
    return Response(ReservationSerializer(reservation).data, status=status)


def extend_minutes(request) -> int | None:
    serializer = ExtendInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data.get("minutes")


class SessionReserveApi(ApiView):
    @extend_schema(
        operation_id="sessions_reserve",
        tags=[TAG],
        description="Holds stock for the cart. `fifo` (default): every line in full or nothing (409 "
        "`inventory_shortfall`, its `explain` and `lines` say what is short), and the session moves to "
        "`reserved`. `best_fit`: what is available of each line; when some line falls short the answer has "
        "`partial: true` and a `shortfall` per line, the session stays editable (change the cart, which gives "
        "the partial hold back, and reserve again) and payment is refused until the hold covers the cart. "
        "`explicit_lots` is refused (400 `allocation_strategy_unsupported`). The hold lasts "
        "`expires_in_seconds` (default the merchant's hold_minutes), never past the session's expiry. "
        "An empty cart is 409 `cart_empty`.",
        request=ReserveInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: ReservationSerializer, **RESERVE_RESPONSES},
    )
    def post(self, request, checkout_id):
        serializer = ReserveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reservation = inventory_services.session_reserve(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, actor=actor_for(request), **serializer.validated_data
        )
        return reservation_response(merchant_id=self.merchant.pk, reservation_id=reservation.public_id, status=201)


class ReservationDetailApi(ApiView):
    @extend_schema(
        operation_id="reservations_retrieve",
        tags=[TAG],
        responses={200: ReservationSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, reservation_id):
        return reservation_response(merchant_id=self.merchant.pk, reservation_id=reservation_id)


class ReservationExtendApi(ApiView):
    @extend_schema(
        operation_id="reservations_extend",
        tags=[TAG],
        description="Moves an active hold's expiry to now + minutes; never shortens it, never past the session.",
        request=ExtendInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: ReservationSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, reservation_id):
        minutes = extend_minutes(request)
        inventory_services.reservation_extend(
            merchant_id=self.merchant.pk, reservation_id=reservation_id, minutes=minutes, actor=actor_for(request)
        )
        return reservation_response(merchant_id=self.merchant.pk, reservation_id=reservation_id)


class ReservationReleaseApi(ApiView):
    @extend_schema(
        operation_id="reservations_release",
        tags=[TAG],
        description="Gives the held stock back; releasing a released hold changes nothing.",
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: ReservationSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, reservation_id):
        inventory_services.reservation_release(
            merchant_id=self.merchant.pk, reservation_id=reservation_id, actor=actor_for(request)
        )
        return reservation_response(merchant_id=self.merchant.pk, reservation_id=reservation_id)


class SessionHoldsApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_holds_list",
        tags=[TAG],
        description="Every stock hold the session has taken, newest first.",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("cursor", str)],
        responses={200: paginated(ReservationSerializer), **ERROR_RESPONSES},
    )
    def get(self, request, checkout_id):
        paginator = CursorPage()
        page = paginator.paginate_queryset(
            session_reservations(merchant_id=self.merchant.pk, checkout_id=checkout_id), request, view=self
        )
        context = {"now": timezone.now()}
        return paginator.get_paginated_response(ReservationSerializer(page, many=True, context=context).data)


class SessionHoldsExtendApi(ApiView):
    @extend_schema(
        operation_id="sessions_holds_extend",
        tags=[TAG],
        description="Extends the session's active hold (409 when it has none).",
        request=ExtendInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: ReservationSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, checkout_id):
        minutes = extend_minutes(request)
        reservation = inventory_services.session_holds_extend(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, minutes=minutes, actor=actor_for(request)
        )
        return reservation_response(merchant_id=self.merchant.pk, reservation_id=reservation.public_id)


def stock_data(merchant_id: int, items) -> list[dict]:
    reserved = reserved_quantities(merchant_id=merchant_id, skus=[item.sku for item in items], now=timezone.now())
    return StockItemSerializer(items, many=True, context={"reserved": reserved}).data


class InventoryApi(ApiView):
    @extend_schema(
        operation_id="inventory_list",
        tags=[TAG],
        description="The merchant's stock ledger by SKU, with what live holds take from it.",
        parameters=[
            OpenApiParameter("sku", str, description="Only this SKU"),
            OpenApiParameter("limit", int),
            OpenApiParameter("cursor", str),
        ],
        responses={200: paginated(StockItemSerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        paginator = CursorPage()
        paginator.ordering = ("sku",)
        page = paginator.paginate_queryset(
            stock_list(merchant_id=self.merchant.pk, sku=request.query_params.get("sku")), request, view=self
        )
        return paginator.get_paginated_response(stock_data(self.merchant.pk, page))

    @extend_schema(
        operation_id="inventory_set",
        tags=[TAG],
        description="Sets on_hand (absolute) for each SKU, creating SKUs not seen before. A SKU never loaded "
        "is not tracked: any quantity of it can be held.",
        request=StockSetInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: StockListSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request):
        serializer = StockSetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = stock_services.stock_set(
            merchant_id=self.merchant.pk, items=serializer.validated_data["items"], actor=actor_for(request)
        )
        return Response({"object": "list", "data": stock_data(self.merchant.pk, items)})


class InventoryAdjustApi(ApiView):
    @extend_schema(
        operation_id="inventory_adjust",
        tags=[TAG],
        description="Adds delta to on_hand of a loaded SKU (404 otherwise); 409 `stock_would_go_negative` below zero.",
        request=StockAdjustInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: StockItemSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, sku):
        if len(sku) > MAX_SKU_LENGTH:
            raise DomainError(f"A SKU is at most {MAX_SKU_LENGTH} characters.", param="sku")
        serializer = StockAdjustInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stock_services.stock_adjust(
            merchant_id=self.merchant.pk, sku=sku, delta=serializer.validated_data["delta"], actor=actor_for(request)
        )
        return Response(stock_data(self.merchant.pk, [stock_get(merchant_id=self.merchant.pk, sku=sku)])[0])
