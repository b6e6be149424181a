"""Stock locations and split shipments (SPEC.md section 4, item 13)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from checkout.api.customer_views import SESSION_MUTATION_PARAMETERS
from checkout.api.fulfillment_serializers import (
    LocationInputSerializer,
    LocationSerializer,
    LocationStockListSerializer,
    LocationStockSetInputSerializer,
    SelectShipmentPlanInputSerializer,
    ShipmentPlanSerializer,
)
from checkout.api.inventory_views import SHORTFALL_RESPONSE
from checkout.fulfillment_selectors import location_get, location_list, location_stock
from checkout.services import fulfillment as fulfillment_services
from core.api.actors import actor_for
from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES, ErrorEnvelope
from core.api.views import ApiView, if_match_versions

TAG = "Fulfilment"
PLAN_RESPONSES = {
    **MUTATION_ERROR_RESPONSES,
    409: SHORTFALL_RESPONSE,
    412: OpenApiResponse(response=ErrorEnvelope, description="The If-Match ETag is stale"),
}


class LocationsApi(ApiView):
    @extend_schema(
        operation_id="locations_list",
        tags=[TAG],
        description="The merchant's stock locations (warehouses and stores), by priority.",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("cursor", str)],
        responses={200: paginated(LocationSerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        paginator = CursorPage()
        paginator.ordering = ("id",)
        page = paginator.paginate_queryset(location_list(merchant_id=self.merchant.pk), request, view=self)
        return paginator.get_paginated_response(LocationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="locations_create",
        tags=[TAG],
        description="Adds a warehouse or store that holds stock. A code already used is 409 `location_code_taken`.",
        request=LocationInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: LocationSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request):
        serializer = LocationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = fulfillment_services.location_create(merchant_id=self.merchant.pk, **serializer.validated_data)
        return Response(LocationSerializer(location).data, status=201)


class LocationInventoryApi(ApiView):
    @extend_schema(
        operation_id="locations_inventory_list",
        tags=[TAG],
        responses={200: LocationStockListSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, location_id):
        location = location_get(merchant_id=self.merchant.pk, location_id=location_id)
        body = {"object": "list", "location_id": location.public_id, "data": location_stock(location)}
        return Response(LocationStockListSerializer(body).data)

    @extend_schema(
        operation_id="locations_inventory_set",
        tags=[TAG],
        description="Sets on_hand (absolute) of each SKU at this location. A SKU stocked at locations has as "
        "its ledger total (GET /inventory) the sum of its locations.",
        request=LocationStockSetInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: LocationStockListSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, location_id):
        serializer = LocationStockSetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        levels = fulfillment_services.location_stock_set(
            merchant_id=self.merchant.pk,
            location_id=location_id,
            items=serializer.validated_data["items"],
            actor=actor_for(request),
        )
        return Response(
            LocationStockListSerializer({"object": "list", "location_id": location_id, "data": levels}).data
        )


class SessionSplitShipmentPlanApi(ApiView):
    @extend_schema(
        operation_id="sessions_split_shipment_plan",
        tags=[TAG],
        description="Plans the fewest shipments that cover the cart's shipped lines from the merchant's stock "
        "locations (each SKU whole from one location): shipment groups with their location, lines, shipping "
        "options (for the session's shipping address; none before one is given), the cheapest preselected, a "
        "delivery estimate (the location's handling days plus the option's) and totals. Nothing is held: "
        "`reserve` holds per location once a plan is selected. 409 `inventory_shortfall` when no set of "
        "locations holds every line whole; 400 `shipping_not_required` when nothing ships.",
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: ShipmentPlanSerializer, **PLAN_RESPONSES},
    )
    def post(self, request, checkout_id):
        plan = fulfillment_services.shipment_plan_propose(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, actor=actor_for(request)
        )
        return Response(ShipmentPlanSerializer(plan).data, status=201)


class SessionSelectShipmentPlanApi(ApiView):
    @extend_schema(
        operation_id="sessions_select_shipment_plan",
        tags=[TAG],
        description="Chooses a proposed plan (optionally another offered option per group) instead of a single "
        "shipping option or pickup, and recalculates: the totals' shipping_total is the groups' options "
        "together. 409 `shipment_plan_stale` when the cart or address changed since the plan was made; 409 "
        "`shipping_unavailable` when a group has no option; 400 `shipping_option_unavailable` for an option "
        "or group the plan does not offer.",
        request=SelectShipmentPlanInputSerializer,
        parameters=SESSION_MUTATION_PARAMETERS,
        responses={200: ShipmentPlanSerializer, **PLAN_RESPONSES},
    )
    def post(self, request, checkout_id):
        serializer = SelectShipmentPlanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = fulfillment_services.shipment_plan_select(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            plan_id=serializer.validated_data["plan_id"],
            shipping_options=serializer.validated_data.get("shipping_options"),
            actor=actor_for(request),
            expected_versions=if_match_versions(request),
        )
        return Response(ShipmentPlanSerializer(plan).data)
