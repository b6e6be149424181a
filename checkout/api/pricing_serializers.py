"""Input and output shapes of calculate, totals and validate."""

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from checkout.api.serializers import BlockerSerializer, TotalsSerializer
from checkout.services.pricing import MAX_TIMEOUT_MS, MIN_TIMEOUT_MS
from core.api.serializers import StrictSerializer


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Force a fresh compute (the API document's example)",
            request_only=True,
            value={"force": True, "timeout_ms": 5000},
        ),
        OpenApiExample("With a promotion code", request_only=True, value={"promotion_codes": ["SUMMER10"]}),
    ]
)
class CalculateInputSerializer(StrictSerializer):
    promotion_codes = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=5,
        help_text="Replaces the session's codes ([] removes them). One code per session.",
    )
    force = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="true or absent: compute afresh even when the current totals are current. false: answer the "
        "current calculation as it is when nothing changed since.",
    )
    timeout_ms = serializers.IntegerField(
        required=False,
        min_value=MIN_TIMEOUT_MS,
        max_value=MAX_TIMEOUT_MS,
        help_text="Budget for the whole calculation; past it, 504 calculation_timeout and nothing is written.",
    )


class LineAdjustmentSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="promotion")
    code = serializers.CharField()
    amount = serializers.IntegerField(help_text="This line's share of the discount, minor units")


class CalculationLineSerializer(serializers.Serializer):
    line_id = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    tax_code = serializers.CharField()
    unit_amount = serializers.IntegerField()
    base_price = serializers.IntegerField(
        source="base_amount", help_text="The line's price before adjustments: quantity × unit_amount"
    )
    base_amount = serializers.IntegerField(help_text="quantity × unit_amount (same as base_price)")
    adjustments = LineAdjustmentSerializer(many=True, help_text="Promotions taken off this line")
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


class FeeSerializer(serializers.Serializer):
    name = serializers.CharField()
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
    lines = serializers.SerializerMethodField()
    tax_lines = TaxLineSerializer(many=True)
    adjustments = AdjustmentSerializer(many=True, help_text="Promotions and fees, on the whole order")
    shipping = CalculationShippingSerializer(allow_null=True)
    fees = serializers.SerializerMethodField()

    def get_object(self, calc) -> str:
        return "checkout.calculation"

    def get_checkout_id(self, calc) -> str:
        return self.context["checkout_id"]

    def get_is_current(self, calc) -> bool:
        return self.context["is_current"]

    @extend_schema_field(CalculationLineSerializer(many=True))
    def get_lines(self, calc):
        promotion = next((adj for adj in calc.adjustments if adj.get("type") == "promotion"), None)
        lines = [
            {
                **line,
                "adjustments": (
                    [{"type": "promotion", "code": promotion["code"], "amount": line["discount_amount"]}]
                    if promotion and line.get("discount_amount")
                    else []
                ),
            }
            for line in calc.lines
        ]
        return CalculationLineSerializer(lines, many=True).data

    @extend_schema_field(FeeSerializer(many=True))
    def get_fees(self, calc):
        return FeeSerializer([adj for adj in calc.adjustments if adj.get("type") == "fee"], many=True).data

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, calc):
        return TotalsSerializer(calc).data


class ValidationResultSerializer(serializers.Serializer):
    object = serializers.CharField(default="checkout.validation")
    checkout_id = serializers.CharField()
    valid = serializers.BooleanField()
    blockers = BlockerSerializer(many=True)
