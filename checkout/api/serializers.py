"""Input and output shapes of the session API (SPEC.md section 4)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from checkout.hosted_links import hosted_link
from checkout.models import Address, CartLine, CheckoutSession, SessionEvent
from checkout.selectors import session_address
from core.api.serializers import (
    CaptureModeField,
    OptionalEmailField,
    StrictIntegerField,
    StrictSerializer,
    capture_mode_public,
)
from core.exceptions import AmountTooLarge
from core.money import CART_TOTAL_MAX, is_currency
from merchants.credentials import client_token_sign

MAX_LINES = 250
# A session lives at most this long from any change of its expiry (PATCH TTL extend).
MAX_SESSION_TTL_SECONDS = 24 * 60 * 60
MIN_SESSION_TTL_SECONDS = 60


class CartLineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=300)
    quantity = StrictIntegerField(min_value=1, max_value=100_000)
    unit_amount = StrictIntegerField(min_value=0, max_value=10**12, help_text="Minor units")
    tax_code = serializers.CharField(max_length=50, required=False, allow_blank=True)
    requires_shipping = serializers.BooleanField(required=False, default=True)
    weight_grams = StrictIntegerField(min_value=0, max_value=10**7, required=False, default=0)
    image_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)


class SessionOptionsSerializer(serializers.Serializer):
    capture_mode = CaptureModeField(required=False)
    require_billing_address = serializers.BooleanField(
        required=False, help_text="When true, payment waits for a billing address (validate lists it)"
    )


class OwnerSerializer(StrictSerializer):
    """Who is buying: `{"type": "user" | "guest", "id": "..."}`.

    A plain string (the first integrations' shape) is read as `{"type": "user", "id": <it>}`;
    answers are always the object."""

    type = serializers.ChoiceField(CheckoutSession.OwnerType.choices)
    id = serializers.CharField(max_length=200)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = {"type": CheckoutSession.OwnerType.USER, "id": data}
        return super().to_internal_value(data)


class ReturnUrlsSerializer(serializers.Serializer):
    success_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    error_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    callback_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)


def _validate_currency(value):
    if not is_currency(value):
        raise serializers.ValidationError("Not an ISO 4217 currency code.")
    return value


class SessionCreateSerializer(StrictSerializer):
    # Optional: a session may be bound to `cart_id` alone and get its lines by PATCH.
    lines = CartLineInputSerializer(many=True, required=False, allow_empty=True, max_length=MAX_LINES)
    currency = serializers.CharField(min_length=3, max_length=3, required=False, validators=[_validate_currency])
    cart_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    owner = OwnerSerializer(required=False, allow_null=True)
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


class SessionCustomerPatchSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="Stored as E.164")
    customer_id = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="The merchant's id for a signed-in customer"
    )
    save_for_later = serializers.BooleanField(required=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Customer info, metadata and a longer life",
            request_only=True,
            value={
                "customer": {"email": "ada@example.com", "customer_id": "user_1"},
                "metadata": {"source": "campaign_x"},
                "extend_ttl_seconds": 900,
            },
        ),
        OpenApiExample(
            "Give the cart its lines",
            request_only=True,
            value={"lines": [{"sku": "MUG", "name": "Mug", "quantity": 2, "unit_amount": 1250}]},
        ),
    ]
)
class SessionUpdateSerializer(SessionCreateSerializer):
    """Partial update. TTL: `expires_in_seconds` sets the expiry to now + seconds;
    `extend_ttl_seconds` adds seconds to the current expiry. Either way the new expiry is
    between 60 seconds and 24 hours from now (400 naming the field otherwise)."""

    lines = CartLineInputSerializer(many=True, allow_empty=True, max_length=MAX_LINES, required=False)
    customer = SessionCustomerPatchSerializer(required=False)
    expires_in_seconds = StrictIntegerField(
        min_value=MIN_SESSION_TTL_SECONDS, max_value=MAX_SESSION_TTL_SECONDS, required=False
    )
    extend_ttl_seconds = StrictIntegerField(min_value=1, max_value=MAX_SESSION_TTL_SECONDS, required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "expires_in_seconds" in attrs and "extend_ttl_seconds" in attrs:
            raise serializers.ValidationError(
                {"extend_ttl_seconds": "Send expires_in_seconds or extend_ttl_seconds, not both."}
            )
        return attrs


class TotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    sub_total = serializers.IntegerField()
    discount_total = serializers.IntegerField()
    tax_total = serializers.IntegerField()
    shipping_total = serializers.IntegerField()
    fee_total = serializers.IntegerField()
    grand_total = serializers.IntegerField()


class SessionTotalsSerializer(TotalsSerializer):
    # What gift cards and store credit applied to the session cover; the card pays amount_due.
    gift_card_total = serializers.IntegerField()
    store_credit_total = serializers.IntegerField()
    amount_due = serializers.IntegerField()


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
    customer_id = serializers.CharField(source="customer_reference", help_text="The merchant's id for the customer")
    reference = serializers.CharField(source="customer_reference", help_text="Same as customer_id (older name)")
    save_for_later = serializers.BooleanField()


class OwnerOutputSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="user | guest")
    id = serializers.CharField()


class SelectedShippingSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    label = serializers.CharField(source="name", help_text="What the shopper sees, e.g. Next day")
    cost = serializers.IntegerField(source="amount", help_text="Minor units of `currency`; same as amount")
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


class SessionNextActionSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="What the client does next, e.g. redirect_to_url")
    url = serializers.CharField(required=False, help_text="Where to send the shopper, for a redirect")
    redirect_to_url = serializers.DictField(required=False, help_text="Stripe's shape: {url, return_url}")


class PaymentIntentSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    next_action = SessionNextActionSerializer(allow_null=True)


def _with_url(next_action: dict | None) -> dict | None:
    """The document reads a redirect's target at `next_action.url`; Stripe's shape nests it."""
    if not next_action or "url" in next_action:
        return next_action
    nested = next_action.get("redirect_to_url")
    if isinstance(nested, dict) and nested.get("url"):
        return {**next_action, "url": nested["url"]}
    return next_action


class CartSnapshotSerializer(serializers.Serializer):
    cart_id = serializers.CharField()
    currency = serializers.CharField()
    lines = CartLineSerializer(many=True)
    item_count = serializers.IntegerField(help_text="Sum of the lines' quantities")
    sub_total = serializers.IntegerField(help_text="Sum of quantity × unit_amount, minor units")


class SessionSerializer(serializers.Serializer):
    """The canonical session resource merchants code against."""

    object = serializers.SerializerMethodField()
    checkout_id = serializers.CharField(source="public_id")
    cart_id = serializers.CharField()
    owner = OwnerOutputSerializer(allow_null=True, help_text="null when the session was created without one")
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
    cart_snapshot = serializers.SerializerMethodField()
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

    @extend_schema_field(SessionTotalsSerializer(allow_null=True))
    def get_totals(self, session):
        from checkout.services.wallet import wallet_totals

        calc = session.current_calculation
        return {**TotalsSerializer(calc).data, **wallet_totals(session)} if calc else None

    @extend_schema_field(CartSnapshotSerializer)
    def get_cart_snapshot(self, session):
        lines = list(session.lines.all())
        return CartSnapshotSerializer(
            {
                "cart_id": session.cart_id,
                "currency": session.currency,
                "lines": lines,
                "item_count": sum(line.quantity for line in lines),
                "sub_total": sum(line.quantity * line.unit_amount for line in lines),
            }
        ).data

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
        if summary is None:
            return None
        return {**summary, "next_action": _with_url(summary.get("next_action"))}

    @extend_schema_field(SessionOptionsSerializer)
    def get_options(self, session):
        return {
            "capture_mode": capture_mode_public(session.capture_mode or session.merchant.capture_mode),
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


class BlockerSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=(
            "cart_empty, missing_email, missing_shipping_address, missing_billing_address, shipping_not_selected, "
            "shipping_rate_invalid, invalid_promotion, calculation_missing, stale_calculation, "
            "currency_not_supported, inventory_shortfall, session_not_open"
        )
    )
    message = serializers.CharField()
    param = serializers.CharField(allow_null=True)


class ValidationResultsSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    blockers = BlockerSerializer(many=True)


class SessionWithValidationSerializer(SessionSerializer):
    validation_results = ValidationResultsSerializer(read_only=True)
