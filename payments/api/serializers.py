"""Input and output shapes of the payments API (Stripe's, so merchants' habits carry over)."""

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.api.serializers import CaptureModeField, StrictIntegerField, StrictSerializer, capture_mode_public
from core.money import is_currency
from fraud.selectors import review_for_payment, review_payload
from payments.selectors import attempts_remaining, intent_method_types, payment_api_status, payment_next_action


class CardInputSerializer(StrictSerializer):
    # Messages never repeat the value: the number must not reach a log or a response.
    number = serializers.RegexField(
        r"^[0-9 ]{12,23}$", error_messages={"invalid": "Enter the card number as 12 to 19 digits."}
    )
    exp_month = StrictIntegerField(min_value=1, max_value=12)
    exp_year = StrictIntegerField(min_value=2000, max_value=2100)
    cvc = serializers.RegexField(r"^[0-9]{3,4}$", error_messages={"invalid": "Enter the 3 or 4 digit security code."})


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A test card",
            request_only=True,
            value={
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            },
        ),
        OpenApiExample(
            "A card from Stripe.js (Stripe merchants)",
            request_only=True,
            value={"type": "card", "payment_method": "pm_1QfS2nW8xY0aBcDeFgHiJkLm"},
        ),
    ]
)
class TokenizeSerializer(StrictSerializer):
    type = serializers.ChoiceField(
        ["card", "bank_transfer"], help_text="bank_transfer: paid by the shopper's transfer (no card)"
    )
    card = CardInputSerializer(required=False, help_text="The card's number and expiry (not for Stripe merchants)")
    payment_method = serializers.RegexField(
        r"^pm_[A-Za-z0-9_]{1,96}$",
        required=False,
        help_text="Stripe merchants: the PaymentMethod id Stripe.js created in the shopper's browser "
        "(card numbers are refused for them: 400 card_numbers_refused)",
        error_messages={"invalid": "Enter the PaymentMethod id Stripe.js returned (pm_...)."},
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["type"] == "card" and "card" not in attrs and "payment_method" not in attrs:
            raise serializers.ValidationError({"card": "Give card, or payment_method for a Stripe merchant."})
        if "card" in attrs and "payment_method" in attrs:
            raise serializers.ValidationError({"payment_method": "Give card or payment_method, not both."})
        if attrs["type"] == "bank_transfer" and ("card" in attrs or "payment_method" in attrs):
            raise serializers.ValidationError({"card": "A bank transfer takes no card."})
        return attrs


class CardSerializer(serializers.Serializer):
    brand = serializers.CharField()
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField()
    exp_year = serializers.IntegerField()


class PaymentMethodSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    payment_method_id = serializers.CharField(source="public_id")
    type = serializers.CharField()
    card = serializers.SerializerMethodField()
    saved = serializers.BooleanField(help_text="Kept on file for later payments (attach-method's save_method)")
    created_at = serializers.DateTimeField()

    def get_object(self, method) -> str:
        return "payment_method"

    @extend_schema_field(CardSerializer(allow_null=True))
    def get_card(self, method):
        return CardSerializer(method).data if method.type == "card" else None


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The API document's example",
            request_only=True,
            value={"payment_method_id": "pm_123", "save_method": True},
        ),
        OpenApiExample("Attach a token", request_only=True, value={"payment_method_id": "pm_4QfS2nW8xY0aBcDeFgHiJkLm"}),
    ]
)
class AttachMethodSerializer(StrictSerializer):
    payment_method_id = serializers.CharField(max_length=40)
    save_method = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Keep the method on file for this merchant's later payments; unsaved, it pays for this "
        "payment intent only",
    )


class PaymentMethodDataSerializer(StrictSerializer):
    type = serializers.ChoiceField(["buy_now_pay_later"])
    plan = serializers.SlugField(max_length=40, help_text="A plan code from GET /payment-methods (pay_in_4, monthly_3)")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Confirm with a token", request_only=True, value={"payment_method_id": "pm_4QfS2nW8xY0aBcDeFgHiJkLm"}
        ),
        OpenApiExample("Confirm the attached method", request_only=True, value={}),
        OpenApiExample(
            "Pay in 4 (buy now, pay later)",
            request_only=True,
            value={"payment_method_data": {"type": "buy_now_pay_later", "plan": "pay_in_4"}},
        ),
    ]
)
class ConfirmSerializer(StrictSerializer):
    payment_method_id = serializers.CharField(max_length=40, required=False)
    payment_method_data = PaymentMethodDataSerializer(
        required=False,
        help_text="A method that is not a saved card: `{type: buy_now_pay_later, plan}` applies to the "
        "BNPL provider (approved: requires_action with a redirect; declined: 402 bnpl_declined)",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("payment_method_id") and attrs.get("payment_method_data"):
            raise serializers.ValidationError(
                {"payment_method_data": "Give payment_method_id or payment_method_data, not both."}
            )
        return attrs


@extend_schema_serializer(
    examples=[
        OpenApiExample("Capture part of the authorization", request_only=True, value={"amount": 1500}),
        OpenApiExample("Capture all of it", request_only=True, value={}),
    ]
)
class CaptureSerializer(StrictSerializer):
    amount = StrictIntegerField(min_value=1, required=False, help_text="Minor units; default: all of it")


@extend_schema_serializer(
    examples=[OpenApiExample("Void", request_only=True, value={"reason": "requested_by_customer"})]
)
class CancelSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ThreeDSCompleteSerializer(StrictSerializer):
    """No input: the outcome of 3-D Secure comes from the gateway, never from the caller, so
    a field claiming one (status, result…) is a 400 naming it rather than silently ignored."""


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Pay the session's current total",
            request_only=True,
            value={"capture_mode": "auto", "return_url": "https://shop.example/checkout/return"},
        )
    ]
)
class PaymentIntentCreateSerializer(StrictSerializer):
    capture_mode = CaptureModeField(required=False)
    return_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)

    def validate_metadata(self, value):
        if len(value) > 50 or any(len(str(k)) > 40 or len(str(v)) > 500 for k, v in value.items()):
            raise serializers.ValidationError("At most 50 keys, keys up to 40 and values up to 500 characters.")
        return value


class RedirectToUrlSerializer(serializers.Serializer):
    url = serializers.CharField()
    return_url = serializers.CharField(allow_null=True)


class BankTransferInstructionsSerializer(serializers.Serializer):
    iban = serializers.CharField()
    bic = serializers.CharField()
    account_holder = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units to send, exactly")
    currency = serializers.CharField()
    reference = serializers.CharField(help_text="Quote it in the transfer: it is how the money is recognised")
    expires_at = serializers.DateTimeField(help_text="No transfer by then: the payment expires")


class NextActionSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text="`redirect`: send the shopper's browser to `url`; `display_bank_transfer_instructions`: show "
        "the shopper where to send the money"
    )
    url = serializers.CharField(required=False, help_text="redirect only")
    return_url = serializers.CharField(
        allow_null=True, required=False, help_text="redirect only: where the shopper comes back to"
    )
    reason = serializers.CharField(
        required=False, help_text="redirect only: `3ds_challenge` (3-D Secure) or `approval` (a wallet or APM)"
    )
    redirect_to_url = RedirectToUrlSerializer(required=False, help_text="The same, in Stripe's shape")
    display_bank_transfer_instructions = BankTransferInstructionsSerializer(required=False)


class LastPaymentErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    decline_code = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_null=True)


class PaymentIntentMethodSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    type = serializers.CharField()
    saved = serializers.BooleanField()
    card = serializers.SerializerMethodField()

    @extend_schema_field(CardSerializer)
    def get_card(self, method):
        return CardSerializer(method).data


class PaymentIntentSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    payment_intent_id = serializers.CharField(source="public_id", help_text="The API document's name for `id`")
    status = serializers.SerializerMethodField(
        help_text="requires_payment_method, requires_confirmation, requires_action, processing, "
        "requires_capture, succeeded; then canceled, expired, failed (no attempt left), "
        "partially_refunded, refunded, disputed"
    )
    state = serializers.CharField(help_text="The internal state (SPEC section 3)")
    amount = serializers.IntegerField()
    amount_capturable = serializers.IntegerField()
    amount_received = serializers.IntegerField(source="amount_captured")
    amount_refunded = serializers.IntegerField()
    currency = serializers.CharField()
    capture_mode = serializers.SerializerMethodField()
    payment_methods = serializers.SerializerMethodField(help_text="The method types this intent accepts")
    payment_method = PaymentIntentMethodSerializer(allow_null=True)
    next_action = serializers.SerializerMethodField()
    last_payment_error = serializers.SerializerMethodField()
    attempts = serializers.IntegerField(source="attempt_count")
    attempts_remaining = serializers.SerializerMethodField()
    reference = serializers.CharField()
    return_url = serializers.CharField()
    gateway = serializers.CharField()
    metadata = serializers.DictField()
    authorization_expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    review = serializers.SerializerMethodField(help_text="The fraud review holding this payment, if any")

    def get_object(self, payment) -> str:
        return "payment_intent"

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_review(self, payment):
        if payment.attempt_count == 0 or getattr(payment, "known_without_review", False):
            # Scored only when an attempt is claimed: an intent never confirmed has no
            # review, nor one whose only attempt the confirm just saw allowed.
            return None
        review = review_for_payment(merchant_id=payment.merchant_id, payment_intent_id=payment.public_id)
        return review_payload(review) if review is not None else None

    def get_status(self, payment) -> str:
        return payment_api_status(payment)

    @extend_schema_field(CaptureModeField())
    def get_capture_mode(self, payment) -> str:
        return capture_mode_public(payment.capture_mode)

    def get_payment_methods(self, payment) -> list[str]:
        return intent_method_types(payment.method_types)

    @extend_schema_field(NextActionSerializer(allow_null=True))
    def get_next_action(self, payment):
        return payment_next_action(payment)

    @extend_schema_field(LastPaymentErrorSerializer(allow_null=True))
    def get_last_payment_error(self, payment):
        return payment.last_error

    def get_attempts_remaining(self, payment) -> int:
        return attempts_remaining(payment)


class PaymentIntentDetailSerializer(PaymentIntentSerializer):
    """GET /payment-intents/{id}: the intent as its create answer shows it."""

    checkout_id = serializers.SerializerMethodField(help_text="The checkout session it pays, if any")
    calculation_id = serializers.SerializerMethodField(help_text="The session's calculation it charges, if any")
    client_secret = serializers.SerializerMethodField(
        help_text="For the shopper's browser: a client token for the session (as on create). Only to "
        "secret-key callers; null otherwise or once the session has ended"
    )

    def get_checkout_id(self, payment) -> str | None:
        return self.context["details"].get("checkout_id")

    def get_calculation_id(self, payment) -> str | None:
        return self.context["details"].get("calculation_id")

    def get_client_secret(self, payment) -> str | None:
        return self.context["details"].get("client_secret")


class PaymentPlanOptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    installment_count = serializers.IntegerField()
    interval = serializers.CharField(help_text="`14 days`, `1 month`")
    min_amount = serializers.IntegerField()
    max_amount = serializers.IntegerField()
    currency = serializers.CharField()
    installments = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, help_text="The amounts, first at purchase (with `amount`)"
    )


class PaymentMethodOptionSerializer(serializers.Serializer):
    type = serializers.CharField()
    gateway = serializers.CharField()
    brands = serializers.ListField(child=serializers.CharField(), required=False)
    currencies = serializers.ListField(child=serializers.CharField())
    country = serializers.CharField(allow_null=True)
    three_d_secure = serializers.BooleanField(required=False)
    capture_methods = serializers.ListField(child=serializers.CharField())
    provider = serializers.CharField(required=False, help_text="buy_now_pay_later: the provider")
    plans = PaymentPlanOptionSerializer(many=True, required=False, help_text="buy_now_pay_later: its plans")


class PaymentMethodQuerySerializer(serializers.Serializer):
    country = serializers.RegexField(r"^[A-Z]{2}$", required=False)
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    channel = serializers.ChoiceField(["web", "mobile", "pos", "api"], required=False)
    amount = serializers.RegexField(r"^[1-9][0-9]{0,16}$", required=False, help_text="Minor units")

    def validate_amount(self, value):
        return int(value)

    def validate_currency(self, value):
        if not is_currency(value):
            raise serializers.ValidationError("Not an ISO 4217 currency code.")
        return value


class PaymentMethodListSerializer(serializers.Serializer):
    object = serializers.CharField()
    data = PaymentMethodOptionSerializer(many=True)


class WebhookAckSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()
    event_id = serializers.CharField()


class RedirectStatusSerializer(serializers.Serializer):
    payment_intent = serializers.CharField()
    payment_intent_id = serializers.CharField()
    checkout_id = serializers.CharField(allow_null=True)
    status = serializers.CharField()


class RedirectReturnQuerySerializer(serializers.Serializer):
    payment_intent = serializers.CharField(max_length=40, required=False)
    payment_token = serializers.CharField(max_length=40, required=False)
    checkout_id = serializers.CharField(max_length=40, required=False)
    status = serializers.CharField(max_length=40, required=False)

    def validate(self, attrs):
        intent, token = attrs.get("payment_intent"), attrs.get("payment_token")
        if intent and token and intent != token:
            raise serializers.ValidationError({"payment_token": "Names another payment intent than payment_intent."})
        if not (intent or token or attrs.get("checkout_id")):
            raise serializers.ValidationError({"payment_intent": "Give payment_intent, payment_token or checkout_id."})
        return attrs
