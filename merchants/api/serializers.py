from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from core.api.serializers import CaptureModeField, StrictIntegerField
from core.money import is_currency
from merchants.models import Merchant
from merchants.selectors import CARD_RATE_LIMIT_DEFAULTS, CARD_RATE_LIMIT_MAX


class MerchantSettingsSerializer(serializers.ModelSerializer):
    merchant_id = serializers.CharField(source="public_id", read_only=True)
    capture_mode = CaptureModeField(read_only=True)

    class Meta:
        model = Merchant
        fields = [
            "merchant_id",
            "name",
            "country",
            "default_currency",
            "supported_currencies",
            "capture_mode",
            "session_ttl_minutes",
            "payment_time_limit_minutes",
            "max_payment_attempts",
            "approval_mode",
            "prices_include_tax",
            "gateway",
            "support_email",
            "extra_settings",
            "version",
            "updated_at",
        ]
        read_only_fields = ["merchant_id", "version", "updated_at"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Ask for merchant approval",
            request_only=True,
            value={"approval_mode": "merchant", "payment_time_limit_minutes": 15},
        )
    ]
)
class MerchantSettingsUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False)
    default_currency = serializers.CharField(min_length=3, max_length=3, required=False)
    supported_currencies = serializers.ListField(
        child=serializers.CharField(min_length=3, max_length=3), min_length=1, max_length=50, required=False
    )
    capture_mode = CaptureModeField(required=False)
    session_ttl_minutes = StrictIntegerField(min_value=5, max_value=60 * 24, required=False)
    payment_time_limit_minutes = StrictIntegerField(min_value=1, max_value=60 * 24, required=False)
    max_payment_attempts = StrictIntegerField(min_value=1, max_value=20, required=False)
    approval_mode = serializers.ChoiceField(Merchant.ApprovalMode.choices, required=False)
    prices_include_tax = serializers.BooleanField(required=False)
    gateway = serializers.ChoiceField(Merchant.Gateway.choices, required=False)
    support_email = serializers.EmailField(required=False, allow_blank=True)
    extra_settings = serializers.DictField(required=False)

    def validate_extra_settings(self, value):
        for name in CARD_RATE_LIMIT_DEFAULTS:
            limit = value.get(name)
            if limit is not None and (type(limit) is not int or not 1 <= limit <= CARD_RATE_LIMIT_MAX):
                raise serializers.ValidationError(
                    {name: f"A JSON integer from 1 to {CARD_RATE_LIMIT_MAX} (null restores the default)."}
                )
        transfer = value.get("bank_transfer")
        if isinstance(transfer, dict) and transfer.get("enabled"):
            # The receiving account shoppers will be told to pay: it must be a real IBAN.
            try:
                IBAN(str(transfer.get("iban", "")))
            except SchwiftyException as exc:
                raise serializers.ValidationError({"bank_transfer": f"iban is not a valid IBAN ({exc})."}) from None
        elif transfer is not None and not isinstance(transfer, dict):
            raise serializers.ValidationError({"bank_transfer": "An object (null removes it)."})
        return value

    def validate_default_currency(self, value):
        if not is_currency(value):
            raise serializers.ValidationError("Not an ISO 4217 currency code.")
        return value

    def validate_supported_currencies(self, value):
        bad = [c for c in value if not is_currency(c)]
        if bad:
            raise serializers.ValidationError(f"Not ISO 4217 currency codes: {', '.join(bad)}.")
        return list(dict.fromkeys(value))

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({sorted(unknown)[0]: "Unknown setting."})
        return attrs


class CapabilitiesSerializer(serializers.Serializer):
    merchant_id = serializers.CharField()
    currencies = serializers.ListField(child=serializers.CharField())
    default_currency = serializers.CharField()
    capture_modes = serializers.ListField(child=serializers.CharField())
    approval_modes = serializers.ListField(child=serializers.CharField())
    gateway = serializers.CharField()
    gateway_configured = serializers.BooleanField(help_text="The platform can reach the merchant's gateway")
    payment_method_types = serializers.ListField(child=serializers.CharField())
    features = serializers.DictField(
        child=serializers.BooleanField(),
        help_text=(
            "three_d_secure, hosted_pages, split_payments, installments, gift_cards, store_credit, fraud, kyc, "
            "reconciliation (each from what is configured for you), plus merchant_approval and manual_capture"
        ),
    )
    limits = serializers.DictField(child=serializers.IntegerField())
