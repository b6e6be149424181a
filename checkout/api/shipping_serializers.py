"""Input and output shapes of the shipping-options, select-shipping and pickup endpoints."""

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from core.api.serializers import StrictSerializer


class EstimatedDeliverySerializer(serializers.Serializer):
    earliest = serializers.DateField(help_text="Today (UTC) + min_delivery_days")
    latest = serializers.DateField(help_text="Today (UTC) + max_delivery_days")


class ShippingOptionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Pass as shipping_option_id to select-shipping")
    name = serializers.CharField()
    carrier = serializers.CharField()
    service_code = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units of `currency`")
    currency = serializers.CharField()
    min_delivery_days = serializers.IntegerField()
    max_delivery_days = serializers.IntegerField()
    estimated_delivery = EstimatedDeliverySerializer(
        required=False, help_text="Only with include_estimated_delivery_dates=true"
    )


class ShippingOptionsSerializer(serializers.Serializer):
    """A quote: the options and the facts they were chosen by."""

    object = serializers.CharField(help_text="list")
    shipping_required = serializers.BooleanField(help_text="False when no line ships: no options to choose")
    country = serializers.CharField(allow_null=True, help_text="Of the shipping address; null until one is set")
    currency = serializers.CharField()
    sub_total = serializers.IntegerField(help_text="Sum of quantity × unit_amount, minor units")
    weight_grams = serializers.IntegerField(help_text="Weight of the lines that ship")
    selected_shipping_option_id = serializers.CharField(allow_null=True)
    data = ShippingOptionSerializer(many=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The API document's example",
            request_only=True,
            value={"shipping_option_id": "ship_1", "carrier": "DHL", "service_code": "express"},
        ),
        OpenApiExample(
            "Choose an option", request_only=True, value={"shipping_option_id": "shr_8cJ2kQw0ZtYb3NnVx5LmRp1s"}
        ),
        OpenApiExample(
            "By carrier and service", request_only=True, value={"carrier": "DHL", "service_code": "express"}
        ),
    ]
)
class SelectShippingInputSerializer(StrictSerializer):
    """Names the option by `shipping_option_id`, or by `carrier` + `service_code`, or both
    (then they must describe the same option: 400 naming the one that does not)."""

    shipping_option_id = serializers.CharField(max_length=40, required=False)
    carrier = serializers.CharField(max_length=100, required=False)
    service_code = serializers.CharField(max_length=100, required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "shipping_option_id" not in attrs:
            missing = [name for name in ("carrier", "service_code") if name not in attrs]
            if missing:
                raise serializers.ValidationError({missing[0]: "Send shipping_option_id, or carrier and service_code."})
        return attrs


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Collect in store", request_only=True, value={"pickup_location_id": "pul_2XkLw9QpZr4Tt7VbNm0cYs8d"}
        )
    ]
)
class PickupLocationInputSerializer(StrictSerializer):
    pickup_location_id = serializers.CharField(max_length=40)
