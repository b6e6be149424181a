"""Input and output shapes of the session API (SPEC.md section 4)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from checkout.hosted_links import hosted_link
from checkout.models import Address, CartLine, CheckoutSession, SessionEvent
from checkout.selectors import session_address
from core.api.serializers import OptionalEmailField, StrictSerializer
from core.exceptions import AmountTooLarge
from core.money import CART_TOTAL_MAX, is_currency
from merchants.credentials import client_token_sign
from merchants.models import Merchant

MAX_LINES = 250


class CartLineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=300)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    unit_amount = serializers.IntegerField(min_value=0, max_value=10**12, help_text="Minor units")
    tax_code = serializers.CharField(max_length=50, required=False, allow_blank=True)
    requires_shipping = serializers.BooleanField(required=False, default=True)
    weight_grams = serializers.IntegerField(min_value=0, max_value=10**7, required=False, default=0)
    image_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)


class SessionOptionsSerializer(serializers.Serializer):
    capture_mode = serializers.ChoiceField(Merchant.CaptureMode.choices, required=False)
    require_billing_address = serializers.BooleanField(required=False)


class ReturnUrlsSerializer(serializers.Serializer):
    success_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    error_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    callback_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)


def _validate_currency(value):
    if not is_currency(value):
        raise serializers.ValidationError("Not an ISO 4217 currency code.")
    return value


class SessionCreateSerializer(StrictSerializer):
    lines = CartLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    currency = serializers.CharField(min_length=3, max_length=3, required=False, validators=[_validate_currency])
    cart_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    owner = serializers.CharField(max_length=200, required=False, allow_blank=True)
    channel = serializers.ChoiceField(CheckoutSession.Channel.choices, required=False)
    locale = serializers.RegexField(r"^[a-z]{2,3}(_[A-Z]{2})?$", required=False)
    metadata = serializers.DictField(required=False)
    options = SessionOptionsSerializer(required=False)
    return_urls = ReturnUrlsSerializer(required=False)
    promotion_codes = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=5)

    def validate_lines(self, lines):
        # Each line is within its own limits, but 250 of them can still add up past what
        # a 64-bit total holds: refuse the cart now, not at calculate or at payment.
        if sum(line["quantity"] * line["unit_amount"] for line in lines) > CART_TOTAL_MAX:
            raise AmountTooLarge(
                f"The lines add up to more than {CART_TOTAL_MAX} minor units, the most one session can charge.",
                param="lines",
            )
        return lines

    def validate_metadata(self, value):
        if len(value) > 50 or any(len(str(k)) > 40 or len(str(v)) > 500 for k, v in value.items()):
            raise serializers.ValidationError("At most 50 keys, keys up to 40 and values up to 500 characters.")
        return value


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Change metadata and the promotion code",
            request_only=True,
            value={"metadata": {"order_ref": "A-1002"}, "promotion_codes": ["SUMMER10"]},
        )
    ]
)
class SessionUpdateSerializer(SessionCreateSerializer):
    lines = CartLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES, required=False)


class TotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    sub_total = serializers.IntegerField()
    discount_total = serializers.IntegerField()
    tax_total = serializers.IntegerField()
    shipping_total = serializers.IntegerField()
    fee_total = serializers.IntegerField()
    grand_total = serializers.IntegerField()


class CartLineSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")

    class Meta:
        model = CartLine
        fields = [
            "id", "sku", "name", "quantity", "unit_amount", "tax_code",
            "requires_shipping", "weight_grams", "image_url",
        ]  # fmt: skip


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = [
            "name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone",
            "validation_status", "validation_messages",
        ]  # fmt: skip


class CustomerSerializer(serializers.Serializer):
    email = OptionalEmailField(source="customer_email")
    name = serializers.CharField(source="customer_name")
    phone = serializers.CharField(source="customer_phone")
    reference = serializers.CharField(source="customer_reference")


class SelectedShippingSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    carrier = serializers.CharField()
    service_code = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    min_delivery_days = serializers.IntegerField()
    max_delivery_days = serializers.IntegerField()


class PickupLocationSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    line1 = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    opening_hours = serializers.CharField()


class PaymentIntentSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    next_action = serializers.DictField(allow_null=True)


class SessionSerializer(serializers.Serializer):
    """The canonical session resource merchants code against."""

    object = serializers.SerializerMethodField()
    checkout_id = serializers.CharField(source="public_id")
    cart_id = serializers.CharField()
    owner = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    channel = serializers.CharField()
    currency = serializers.CharField()
    locale = serializers.CharField()
    client_token = serializers.SerializerMethodField()
    calculation_id = serializers.SerializerMethodField()
    calculation_is_current = serializers.BooleanField()
    totals = serializers.SerializerMethodField()
    lines = CartLineSerializer(many=True)
    customer = serializers.SerializerMethodField()
    shipping_address = serializers.SerializerMethodField()
    billing_address = serializers.SerializerMethodField()
    selected_shipping = SelectedShippingSerializer(source="selected_shipping_rate", allow_null=True)
    pickup_location = PickupLocationSerializer(allow_null=True)
    promotion_codes = serializers.ListField(child=serializers.CharField())
    reservation_id = serializers.SerializerMethodField()
    payment_intent = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    return_urls = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    metadata = serializers.DictField()
    links = serializers.SerializerMethodField()

    def get_object(self, session) -> str:
        return "checkout.session"

    def get_client_token(self, session) -> str:
        return client_token_sign(
            merchant_id=session.merchant_id, subject=session.public_id, expires_at=session.expires_at.timestamp()
        )

    def get_calculation_id(self, session) -> str | None:
        return session.current_calculation.public_id if session.current_calculation else None

    @extend_schema_field(TotalsSerializer(allow_null=True))
    def get_totals(self, session):
        calc = session.current_calculation
        return TotalsSerializer(calc).data if calc else None

    @extend_schema_field(CustomerSerializer)
    def get_customer(self, session):
        return CustomerSerializer(session).data

    @extend_schema_field(AddressSerializer(allow_null=True))
    def get_shipping_address(self, session):
        address = session_address(session, Address.Kind.SHIPPING)
        return AddressSerializer(address).data if address else None

    @extend_schema_field(AddressSerializer(allow_null=True))
    def get_billing_address(self, session):
        address = session_address(session, Address.Kind.BILLING)
        return AddressSerializer(address).data if address else None

    def get_reservation_id(self, session) -> str | None:
        return session.reservation_id or None

    @extend_schema_field(PaymentIntentSummarySerializer(allow_null=True))
    def get_payment_intent(self, session):
        summary = self.context.get("payment_intent")
        return summary

    @extend_schema_field(SessionOptionsSerializer)
    def get_options(self, session):
        return {
            "capture_mode": session.capture_mode or session.merchant.capture_mode,
            "require_billing_address": session.require_billing_address,
        }

    @extend_schema_field(ReturnUrlsSerializer)
    def get_return_urls(self, session):
        return {
            "success_url": session.success_url,
            "error_url": session.error_url,
            "callback_url": session.callback_url,
        }

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_links(self, session):
        base = settings.PUBLIC_BASE_URL
        return {
            "self": f"{base}/v1/checkout/sessions/{session.public_id}",
            "approve": hosted_link(session).url,
        }


class SessionEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionEvent
        fields = ["id", "type", "from_status", "to_status", "actor", "data", "created_at"]
