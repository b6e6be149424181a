"""Input and output shapes of calculate, totals and validate."""

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from checkout.api.serializers import TotalsSerializer
from core.api.serializers import StrictSerializer


@extend_schema_serializer(
    examples=[OpenApiExample("With a promotion code", request_only=True, value={"promotion_codes": ["SUMMER10"]})]
)
class CalculateInputSerializer(StrictSerializer):
    promotion_codes = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=5,
        help_text="Replaces the session's codes ([] removes them). One code per session.",
    )


class CalculationLineSerializer(serializers.Serializer):
    line_id = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    tax_code = serializers.CharField()
    unit_amount = serializers.IntegerField()
    base_amount = serializers.IntegerField(help_text="quantity × unit_amount")
    discount_amount = serializers.IntegerField()
    tax_amount = serializers.IntegerField(help_text="Included in the amount when prices include tax")
    total_amount = serializers.IntegerField()
    tax_rate_bps = serializers.IntegerField()


class TaxLineSerializer(serializers.Serializer):
    name = serializers.CharField()
    country = serializers.CharField()
    tax_code = serializers.CharField(help_text="'' for the country's standard rate")
    rate_bps = serializers.IntegerField()
    taxable_amount = serializers.IntegerField(help_text="Net of tax")
    amount = serializers.IntegerField()


class AdjustmentSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="promotion or fee")
    code = serializers.CharField(help_text="The promotion code; '' for a fee")
    name = serializers.CharField(help_text="The fee's name; '' for a promotion")
    amount = serializers.IntegerField()


class CalculationShippingSerializer(serializers.Serializer):
    method = serializers.CharField(help_text="rate (a shipping option) or pickup")
    id = serializers.CharField(source="reference", help_text="The shipping rate's or pickup location's id")
    name = serializers.CharField()
    carrier = serializers.CharField()
    service_code = serializers.CharField()
    amount = serializers.IntegerField()
    tax_amount = serializers.IntegerField()
    tax_rate_bps = serializers.IntegerField()
    total_amount = serializers.IntegerField()


class CalculationSerializer(serializers.Serializer):
    """An immutable totals snapshot. `is_current` turns false once the session changes."""

    object = serializers.SerializerMethodField()
    calculation_id = serializers.CharField(source="public_id")
    checkout_id = serializers.SerializerMethodField()
    calculated_at = serializers.DateTimeField()
    pricing_version = serializers.IntegerField()
    is_current = serializers.SerializerMethodField()
    currency = serializers.CharField()
    prices_include_tax = serializers.BooleanField()
    tax_country = serializers.CharField()
    totals = serializers.SerializerMethodField()
    lines = CalculationLineSerializer(many=True)
    tax_lines = TaxLineSerializer(many=True)
    adjustments = AdjustmentSerializer(many=True)
    shipping = CalculationShippingSerializer(allow_null=True)

    def get_object(self, calc) -> str:
        return "checkout.calculation"

    def get_checkout_id(self, calc) -> str:
        return self.context["checkout_id"]

    def get_is_current(self, calc) -> bool:
        return self.context["is_current"]

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, calc):
        return TotalsSerializer(calc).data


class BlockerSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=(
            "missing_email, missing_shipping_address, missing_billing_address, shipping_not_selected, "
            "shipping_rate_invalid, invalid_promotion, calculation_missing, stale_calculation, "
            "currency_not_supported, session_not_open"
        )
    )
    message = serializers.CharField()
    param = serializers.CharField(allow_null=True)


class ValidationResultSerializer(serializers.Serializer):
    object = serializers.CharField(default="checkout.validation")
    checkout_id = serializers.CharField()
    valid = serializers.BooleanField()
    blockers = BlockerSerializer(many=True)
