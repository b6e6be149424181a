"""Paying for a session: create its payment intent, read what the shopper must do next."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from checkout.api.permissions import SecretOrSessionClientToken
from checkout.selectors import payment_intent_summary_for, session_get
from checkout.services.payment import session_payment_intent_create
from core.api.actors import actor_for
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView
from payments.selectors import payment_intent_summary


class SessionPaymentIntentCreateSerializer(serializers.Serializer):
    capture_mode = serializers.ChoiceField(["automatic", "manual"], required=False)
    return_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", None) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: "Unknown field."})
        return attrs

    def validate_metadata(self, value):
        if len(value) > 20 or any(len(str(k)) > 40 or len(str(v)) > 500 for k, v in value.items()):
            raise serializers.ValidationError("At most 20 keys, keys up to 40 and values up to 500 characters.")
        return value


class SessionPaymentIntentSerializer(serializers.Serializer):
    object = serializers.CharField()
    id = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    next_action = serializers.DictField(allow_null=True)
    checkout_id = serializers.CharField()
    calculation_id = serializers.CharField()


class NextActionSerializer(serializers.Serializer):
    object = serializers.CharField()
    checkout_id = serializers.CharField()
    payment_intent_id = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    next_action = serializers.DictField(allow_null=True)


class SessionPaymentIntentApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_payment_intents_create",
        tags=["Payments"],
        request=SessionPaymentIntentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: SessionPaymentIntentSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, checkout_id):
        serializer = SessionPaymentIntentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session, payment = session_payment_intent_create(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, actor=actor_for(request), **serializer.validated_data
        )
        body = {
            "object": "payment_intent",
            **payment_intent_summary(payment),
            "checkout_id": session.public_id,
            "calculation_id": session.current_calculation.public_id,
        }
        return Response(SessionPaymentIntentSerializer(body).data, status=201)


class SessionNextActionApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_next_action",
        tags=["Payments"],
        responses={200: NextActionSerializer, **ERROR_RESPONSES},
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
        return Response(NextActionSerializer(body).data)
