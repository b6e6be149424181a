"""Shipping endpoints (SPEC.md section 4, item 3): options, choosing one, or a pickup point.

Like the address endpoints, the shopper's browser may call these with its session's
client token.
"""

from dataclasses import asdict
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from checkout.api.customer_views import SESSION_MUTATION_PARAMETERS, SESSION_MUTATION_RESPONSES
from checkout.api.permissions import SecretOrSessionClientToken
from checkout.api.serializers import PickupLocationSerializer
from checkout.api.shipping_serializers import (
    PickupLocationInputSerializer,
    SelectShippingInputSerializer,
    ShippingOptionSerializer,
    ShippingOptionsSerializer,
)
from checkout.api.views import query_flag, session_response
from checkout.selectors import pickup_location_list, session_get, session_shipping_quote
from checkout.services import shipping as shipping_services
from core.api.actors import actor_for
from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES
from core.api.views import ApiView, etag_for, if_match_versions

TAG = "Shipping"


def estimated_delivery(option, today) -> dict:
    return {
        "earliest": today + timedelta(days=option.min_delivery_days),
        "latest": today + timedelta(days=option.max_delivery_days),
    }


class SessionShippingOptionsApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_shipping_options_list",
        tags=[TAG],
        description="The options the cart and shipping address qualify for now, cheapest first. With "
        "include_estimated_delivery_dates=true each option carries estimated_delivery {earliest, latest}: "
        "today (UTC) plus the option's min and max delivery days.",
        parameters=[
            OpenApiParameter(
                "include_estimated_delivery_dates", bool, description="Add estimated_delivery dates to each option"
            )
        ],
        responses={200: ShippingOptionsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, checkout_id):
        with_dates = query_flag(request, "include_estimated_delivery_dates", default=False)
        session = session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id)
        quote = session_shipping_quote(session)
        today = timezone.now().date()
        rate = session.selected_shipping_rate
        body = {
            "object": "list",
            "shipping_required": quote.shipping_required,
            "country": quote.query.country,
            "currency": quote.query.currency,
            "sub_total": quote.query.sub_total,
            "weight_grams": quote.query.weight_grams,
            "selected_shipping_option_id": rate.public_id if rate else None,
            "data": [
                ShippingOptionSerializer(
                    {
                        **asdict(option),
                        **({"estimated_delivery": estimated_delivery(option, today)} if with_dates else {}),
                    }
                ).data
                for option in quote.options
            ],
        }
        return Response(ShippingOptionsSerializer(body).data, headers={"ETag": etag_for(session.version)})


class SessionSelectShippingApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_shipping_select",
        tags=[TAG],
        description="Chooses one of the current shipping options, by shipping_option_id or by carrier + "
        "service_code (given together with an id, they must match that option: 400 naming the one that does "
        "not); drops a chosen pickup location. The totals go stale: calculate again.",
        request=SelectShippingInputSerializer,
        parameters=SESSION_MUTATION_PARAMETERS,
        responses=SESSION_MUTATION_RESPONSES,
    )
    def post(self, request, checkout_id):
        serializer = SelectShippingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = shipping_services.shipping_select(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            option_id=serializer.validated_data.get("shipping_option_id"),
            carrier=serializer.validated_data.get("carrier"),
            service_code=serializer.validated_data.get("service_code"),
            actor=actor_for(request),
            expected_versions=if_match_versions(request),
        )
        return session_response(session)


class SessionPickupLocationApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_pickup_locations_list",
        tags=[TAG],
        description="The merchant's active pickup locations.",
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("cursor", str)],
        responses={200: paginated(PickupLocationSerializer), **ERROR_RESPONSES},
    )
    def get(self, request, checkout_id):
        session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id)  # another merchant's session: 404
        paginator = CursorPage()
        paginator.ordering = ("id",)
        page = paginator.paginate_queryset(pickup_location_list(merchant_id=self.merchant.pk), request, view=self)
        return paginator.get_paginated_response(PickupLocationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="sessions_pickup_location_select",
        tags=[TAG],
        description="Chooses a pickup location instead of shipping; drops a chosen shipping option.",
        request=PickupLocationInputSerializer,
        parameters=SESSION_MUTATION_PARAMETERS,
        responses=SESSION_MUTATION_RESPONSES,
    )
    def post(self, request, checkout_id):
        serializer = PickupLocationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shipping_services.pickup_location_select(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            pickup_location_id=serializer.validated_data["pickup_location_id"],
            actor=actor_for(request),
            expected_versions=if_match_versions(request),
        )
        return session_response(session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id))
