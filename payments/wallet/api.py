"""Gift card, store credit and split endpoints: parse, call one service, render."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api.actors import actor_for
from core.api.schema import (
    CODE_GUESSING_LIMITED_RESPONSE,
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY_HEADER,
    MUTATION_ERROR_RESPONSES,
)
from core.api.serializers import StrictSerializer
from core.api.views import ApiView
from core.client_ip import client_ip
from payments.api.views import IntentApi
from payments.wallet import services, split

TAGS = ["Gift cards & wallet"]


def code_guesser(request) -> dict:
    """Who tries gift card codes, for the guessing limits: the API credential, and the
    client IP when the caller is the shopper's browser. A merchant's server sends every
    shopper's codes from one address: counting it would lock the whole shop out."""
    credential = request.auth
    return {
        "credential": f"{credential.kind}:{credential.reference}",
        "ip": "" if credential.is_secret else client_ip(request),
    }


class GiftCardIssueSerializer(StrictSerializer):
    initial_balance = serializers.IntegerField(min_value=1, max_value=services.MAX_BALANCE)
    currency = serializers.CharField(max_length=3, min_length=3)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    code = serializers.CharField(required=False, max_length=64)


class GiftCardSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    last4 = serializers.CharField()
    currency = serializers.CharField()
    initial_balance = serializers.IntegerField()
    current_balance = serializers.IntegerField()
    status = serializers.CharField()
    expires_at = serializers.CharField(allow_null=True)
    created_at = serializers.CharField(allow_null=True)
    code = serializers.CharField(required=False, help_text="Only in the answer that issued the card")


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    reference = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.CharField()


class LedgerSerializer(serializers.Serializer):
    object = serializers.CharField()
    data = LedgerEntrySerializer(many=True)


class DisableSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, max_length=200, allow_blank=True)


class StoreCreditGrantSerializer(StrictSerializer):
    amount = serializers.IntegerField(min_value=1, max_value=services.MAX_BALANCE)
    currency = serializers.CharField(max_length=3, min_length=3)
    reason = serializers.CharField(required=False, max_length=500, allow_blank=True)


class StoreCreditSerializer(serializers.Serializer):
    object = serializers.CharField()
    id = serializers.CharField()
    customer_id = serializers.CharField()
    currency = serializers.CharField()
    balance = serializers.IntegerField()


class AllocationSerializer(StrictSerializer):
    type = serializers.ChoiceField(["gift_card", "store_credit", "card"])
    amount = serializers.IntegerField(min_value=1, max_value=services.MAX_BALANCE)
    code = serializers.CharField(required=False, max_length=64)
    customer_id = serializers.CharField(required=False, max_length=200)
    payment_method_id = serializers.CharField(required=False, max_length=40)


class SplitRequestSerializer(StrictSerializer):
    allocations = AllocationSerializer(many=True, allow_empty=False, max_length=10)


class SplitPartSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    type = serializers.CharField()
    amount = serializers.IntegerField()
    status = serializers.CharField()
    failure_code = serializers.CharField(allow_null=True)
    gift_card = serializers.DictField(allow_null=True)
    payment_intent_id = serializers.CharField(allow_null=True)


class SplitPaymentSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    status = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    payment_intent_id = serializers.CharField(allow_null=True)
    failed_part = serializers.IntegerField(allow_null=True)
    failure_code = serializers.CharField(allow_null=True)
    parts = SplitPartSerializer(many=True)


class GiftCardListCreateApi(ApiView):
    @extend_schema(
        operation_id="gift_cards_create",
        tags=TAGS,
        request=GiftCardIssueSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: GiftCardSerializer, **MUTATION_ERROR_RESPONSES},
        examples=[OpenApiExample("Issue", value={"initial_balance": 5000, "currency": "USD"}, request_only=True)],
    )
    def post(self, request):
        serializer = GiftCardIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card, code = services.gift_card_issue(
            merchant_id=self.merchant.pk, actor=actor_for(request), **serializer.validated_data
        )
        # The only answer that carries the full code: it is not stored anywhere.
        return Response({**services.gift_card_public(card), "code": code}, status=201)


class GiftCardDetailApi(ApiView):
    @extend_schema(
        operation_id="gift_cards_retrieve", tags=TAGS, responses={200: GiftCardSerializer, **ERROR_RESPONSES}
    )
    def get(self, request, gift_card_id):
        card = services.gift_card_get(merchant_id=self.merchant.pk, gift_card_id=gift_card_id)
        return Response(services.gift_card_public(card))


class GiftCardTransactionsApi(ApiView):
    @extend_schema(
        operation_id="gift_cards_transactions", tags=TAGS, responses={200: LedgerSerializer, **ERROR_RESPONSES}
    )
    def get(self, request, gift_card_id):
        card = services.gift_card_get(merchant_id=self.merchant.pk, gift_card_id=gift_card_id)
        entries = card.ledger.order_by("id")[:500]
        return Response({"object": "list", "data": [services.ledger_public(e) for e in entries]})


class GiftCardDisableApi(ApiView):
    @extend_schema(
        operation_id="gift_cards_disable",
        tags=TAGS,
        request=DisableSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: GiftCardSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, gift_card_id):
        serializer = DisableSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = services.gift_card_disable(
            merchant_id=self.merchant.pk,
            gift_card_id=gift_card_id,
            actor=actor_for(request),
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(services.gift_card_public(card))


class StoreCreditGrantApi(ApiView):
    @extend_schema(
        operation_id="customers_store_credit_grant",
        tags=TAGS,
        request=StoreCreditGrantSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: StoreCreditSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, customer_id):
        serializer = StoreCreditGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = services.store_credit_grant(
            merchant_id=self.merchant.pk,
            customer_id=customer_id,
            actor=actor_for(request),
            amount=serializer.validated_data["amount"],
            currency=serializer.validated_data["currency"],
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(services.store_credit_public(account), status=201)


class PaymentIntentSplitApi(IntentApi):
    @extend_schema(
        operation_id="payment_intents_split",
        tags=["Payments"],
        request=SplitRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={
            200: SplitPaymentSerializer,
            **MUTATION_ERROR_RESPONSES,
            402: OpenApiResponse(
                description="insufficient_balance: a gift card or store credit holds less than its part"
            ),
            **CODE_GUESSING_LIMITED_RESPONSE,
        },
        examples=[
            OpenApiExample(
                "Gift card and card",
                value={
                    "allocations": [
                        {"type": "gift_card", "code": "ABCD-EFGH-JKLM-NPQR", "amount": 2000},
                        {"type": "card", "payment_method_id": "pm_123", "amount": 3194},
                    ]
                },
                request_only=True,
            )
        ],
    )
    def post(self, request, payment_intent_id):
        serializer = SplitRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.scoped_intent(payment_intent_id)
        result = split.payment_intent_split(
            merchant_id=self.merchant.pk,
            payment_intent_id=payment_intent_id,
            allocations=[dict(a) for a in serializer.validated_data["allocations"]],
            actor=actor_for(request),
            **code_guesser(request),
        )
        return Response(split.split_public(result))
