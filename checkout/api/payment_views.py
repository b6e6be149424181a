"""Paying for a session: create its payment intent, read what the shopper must do next."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from checkout.api.permissions import SecretOrSessionClientToken
from checkout.hosted_links import HOSTED_LINK_TTL, session_token
from checkout.selectors import payment_intent_summary_for, session_get
from checkout.services.payment import session_payment_intent_create
from core.api.actors import actor_for
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.serializers import CaptureModeField, StrictSerializer
from core.api.views import ApiView
from core.exceptions import DomainError
from payments.api.serializers import NextActionSerializer, PaymentIntentSerializer
from payments.selectors import ACCEPTED_METHOD_TYPES, DOCUMENTED_METHOD_TYPES

DOCUMENT_EXAMPLE = {
    "amount": 10000,
    "currency": "GBP",
    "capture_mode": "auto",
    "payment_methods": ["card"],
    "metadata": {},
}


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The API document's example (card; buy_now_pay_later may be named too)",
            request_only=True,
            value=DOCUMENT_EXAMPLE,
        ),
        OpenApiExample(
            "The API document's example as written (answers unavailable_payment_methods: paypal, "
            "apple_pay, bank_transfer)",
            request_only=True,
            value={**DOCUMENT_EXAMPLE, "payment_methods": list(DOCUMENTED_METHOD_TYPES)},
        ),
        OpenApiExample("Pay the session's amount due", request_only=True, value={}),
    ]
)
class SessionPaymentIntentCreateSerializer(StrictSerializer):
    amount = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Minor units. Optional: the session's amount due is authoritative, and a different "
        "amount is 400 amount_mismatch",
    )
    currency = serializers.RegexField(
        r"^[A-Z]{3}$", required=False, help_text="Optional; must be the session's (400 currency_mismatch)"
    )
    capture_mode = CaptureModeField(required=False)
    payment_methods = serializers.ListField(
        child=serializers.ChoiceField(DOCUMENTED_METHOD_TYPES),
        required=False,
        min_length=1,
        max_length=len(DOCUMENTED_METHOD_TYPES),
        help_text="Method types the intent should accept (default: card). Those this merchant takes "
        "(`card`, `buy_now_pay_later`) are kept and the others are listed in the answer's "
        "`unavailable_payment_methods`; none of them available is 400 payment_method_unavailable",
    )
    return_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)

    def validate_metadata(self, value):
        if len(value) > 20 or any(len(str(k)) > 40 or len(str(v)) > 500 for k, v in value.items()):
            raise serializers.ValidationError("At most 20 keys, keys up to 40 and values up to 500 characters.")
        return value

    def validate_payment_methods(self, value):
        # The API document's example names every method type it knows; a merchant copies it,
        # so the intent takes the ones available and says which were left out. Only a list
        # with nothing available is refused.
        named = list(dict.fromkeys(value))
        unavailable = [name for name in named if name not in ACCEPTED_METHOD_TYPES]
        if len(unavailable) == len(named):
            raise DomainError(
                f"Not available for this merchant: {', '.join(unavailable)}. "
                f"Accepted: {', '.join(ACCEPTED_METHOD_TYPES)}.",
                code="payment_method_unavailable",
                param="payment_methods",
                explain={"unavailable": unavailable, "accepted": list(ACCEPTED_METHOD_TYPES)},
            )
        return named

    def validate(self, attrs):
        attrs = super().validate(attrs)
        named = attrs.get("payment_methods") or []
        attrs["payment_methods_left_out"] = [name for name in named if name not in ACCEPTED_METHOD_TYPES]
        if named:
            attrs["payment_methods"] = [name for name in named if name in ACCEPTED_METHOD_TYPES]
        return attrs


class SessionPaymentIntentSerializer(PaymentIntentSerializer):
    checkout_id = serializers.CharField(source="reference")
    calculation_id = serializers.SerializerMethodField()
    client_secret = serializers.SerializerMethodField(
        help_text="For the shopper's browser: a client token for this session alone (Bearer), valid an "
        "hour, never past the session. It can confirm this intent, nothing of other sessions."
    )

    unavailable_payment_methods = serializers.SerializerMethodField(
        help_text="Method types the request named that this merchant does not take: left out of "
        "`payment_methods` (empty when all were kept)"
    )

    def get_calculation_id(self, payment) -> str:
        return self.context["calculation_id"]

    def get_unavailable_payment_methods(self, payment) -> list[str]:
        return self.context.get("unavailable_payment_methods", [])

    def get_client_secret(self, payment) -> str:
        return self.context["client_secret"]


class NextActionResponseSerializer(serializers.Serializer):
    object = serializers.CharField()
    checkout_id = serializers.CharField()
    payment_intent_id = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    next_action = NextActionSerializer(allow_null=True)


class SessionPaymentIntentApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_payment_intents_create",
        tags=["Payments"],
        request=SessionPaymentIntentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: SessionPaymentIntentSerializer, **MUTATION_ERROR_RESPONSES},
        description=(
            "A payment intent for the session's amount due (its current calculation). `amount` and "
            "`currency` may be sent as the API document shows, but the session is authoritative: a "
            "different value is 400 `amount_mismatch` / `currency_mismatch`. Answers the intent "
            "(`payment_intent_id`, `status`, `client_secret`, `next_action`). Calling it again while the "
            "intent is open returns the same intent."
        ),
    )
    def post(self, request, checkout_id):
        serializer = SessionPaymentIntentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["method_types"] = data.pop("payment_methods", None)
        left_out = data.pop("payment_methods_left_out")
        session, payment = session_payment_intent_create(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            actor=actor_for(request),
            expected_amount=data.pop("amount", None),
            expected_currency=data.pop("currency", None),
            **data,
        )
        # The service answers the intent as committed (with its merchant and method).
        context = {
            "calculation_id": session.current_calculation.public_id,
            "client_secret": session_token(session, ttl=HOSTED_LINK_TTL).token,
            "unavailable_payment_methods": left_out,
        }
        return Response(SessionPaymentIntentSerializer(payment, context=context).data, status=201)


class SessionNextActionApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_next_action",
        tags=["Payments"],
        responses={200: NextActionResponseSerializer, **ERROR_RESPONSES},
        description="What the shopper's browser must do next for the session's payment: `next_action` "
        "(`{type: redirect, url, reason: 3ds_challenge}`), or null when nothing is asked of it.",
    )
    def get(self, request, checkout_id):
        session = session_get(merchant_id=self.merchant.pk, checkout_id=checkout_id)
        summary = payment_intent_summary_for(session) or {}
        body = {
            "object": "checkout.next_action",
            "checkout_id": session.public_id,
            "payment_intent_id": summary.get("id"),
            "status": summary.get("status"),
            "next_action": summary.get("next_action"),
        }
        return Response(NextActionResponseSerializer(body).data)
