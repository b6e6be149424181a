"""Shapes of the stock location and split shipment endpoints (SPEC.md section 4, item 13)."""

from django_countries import countries
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from checkout.api.inventory_serializers import MAX_STOCK_ITEMS, StockLevelInputSerializer
from checkout.models import StockLocation
from core.api.serializers import StrictIntegerField, StrictSerializer


class LocationInputSerializer(StrictSerializer):
    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$", help_text="Your own name for it: WH-LONDON")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(StockLocation.Kind.choices, default=StockLocation.Kind.WAREHOUSE)
    country = serializers.ChoiceField([code for code, _ in countries], help_text="ISO 3166-1 alpha-2")
    priority = StrictIntegerField(min_value=0, max_value=1000, default=100, help_text="Lower ships first")
    handling_days = StrictIntegerField(min_value=0, max_value=60, default=0, help_text="Added to delivery estimates")


class LocationSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    country = serializers.CharField()
    priority = serializers.IntegerField()
    handling_days = serializers.IntegerField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_object(self, location) -> str:
        return "stock_location"


class LocationStockSetInputSerializer(StrictSerializer):
    items = StockLevelInputSerializer(many=True, allow_empty=False, max_length=MAX_STOCK_ITEMS)

    def validate_items(self, items):
        skus = [item["sku"] for item in items]
        if len(set(skus)) != len(skus):
            raise serializers.ValidationError("Each SKU may appear once.")
        return items


class LocationStockSerializer(serializers.Serializer):
    sku = serializers.CharField()
    on_hand = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class LocationStockListSerializer(serializers.Serializer):
    object = serializers.CharField(default="list")
    location_id = serializers.CharField()
    data = LocationStockSerializer(many=True)


class ShipmentLocationSerializer(serializers.Serializer):
    id = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    country = serializers.CharField()


class ShipmentLineSerializer(serializers.Serializer):
    line_id = serializers.CharField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()


class ShipmentOptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    carrier = serializers.CharField()
    service_code = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    min_delivery_days = serializers.IntegerField()
    max_delivery_days = serializers.IntegerField()


class ShipmentEstimateSerializer(serializers.Serializer):
    min_delivery_days = serializers.IntegerField()
    max_delivery_days = serializers.IntegerField()


class ShipmentGroupSerializer(serializers.Serializer):
    group_id = serializers.CharField()
    location = ShipmentLocationSerializer(allow_null=True, help_text="null: the merchant keeps no locations")
    lines = ShipmentLineSerializer(many=True)
    sub_total = serializers.IntegerField()
    weight_grams = serializers.IntegerField()
    shipping_options = ShipmentOptionSerializer(many=True)
    selected_shipping_option_id = serializers.CharField(allow_null=True)
    shipping_amount = serializers.IntegerField(allow_null=True)
    estimate = ShipmentEstimateSerializer(allow_null=True, help_text="handling days plus the option's")
    total = serializers.IntegerField(help_text="sub_total + shipping_amount")


class ShipmentPlanSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    plan_id = serializers.CharField(source="public_id")
    checkout_id = serializers.CharField(source="session.public_id")
    status = serializers.CharField(help_text="proposed, selected or superseded")
    split = serializers.SerializerMethodField()
    shipment_count = serializers.SerializerMethodField()
    currency = serializers.CharField()
    groups = ShipmentGroupSerializer(many=True)
    shipping_total = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    selected_at = serializers.DateTimeField(allow_null=True)

    def get_object(self, plan) -> str:
        return "shipment_plan"

    def get_split(self, plan) -> bool:
        return len(plan.groups) > 1

    def get_shipment_count(self, plan) -> int:
        return len(plan.groups)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Plan with one option changed",
            request_only=True,
            value={"plan_id": "spl_4mT2q8ZkXw9LbN3cVr7YpA1s", "shipping_options": {"shg_2": "shr_9pQ2w"}},
        )
    ]
)
class SelectShipmentPlanInputSerializer(StrictSerializer):
    plan_id = serializers.CharField(max_length=40)
    shipping_options = serializers.DictField(
        child=serializers.CharField(max_length=40),
        required=False,
        help_text="{group_id: shipping option id}; groups left out keep their preselected (cheapest) option",
    )

    def validate_shipping_options(self, value):
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 shipment groups.")
        return value
