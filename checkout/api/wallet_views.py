"""The session's wallet: apply and remove gift cards, apply store credit, read it."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from checkout.api.permissions import SecretOrSessionClientToken
from checkout.selectors import session_get
from checkout.services import wallet
from core.api.actors import actor_for
from core.api.schema import (
    CODE_GUESSING_LIMITED_RESPONSE,
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY_HEADER,
    MUTATION_ERROR_RESPONSES,
)
from core.api.serializers import StrictSerializer
from core.api.views import ApiView
from payments.wallet.api import code_guesser

TAGS = ["Gift cards & wallet"]


class ApplyGiftCardSerializer(StrictSerializer):
    code = serializers.CharField(max_length=64)


class ApplyStoreCreditSerializer(StrictSerializer):
    amount = serializers.IntegerField(min_value=0, max_value=10**12)


class GiftCardApplicationSerializer(serializers.Serializer):
    object = serializers.CharField()
    gift_card = serializers.DictField()
    applied_amount = serializers.IntegerField()
    remaining_balance = serializers.IntegerField()
    amount_due = serializers.IntegerField()
    currency = serializers.CharField()


class WalletSerializer(serializers.Serializer):
    object = serializers.CharField()
    checkout_id = serializers.CharField()
    currency = serializers.CharField()
    applied = serializers.ListField(child=serializers.DictField())
    available = serializers.DictField()
    grand_total = serializers.IntegerField()
    gift_card_total = serializers.IntegerField()
    store_credit_total = serializers.IntegerField()
    amount_due = serializers.IntegerField()


def _wallet_response(merchant_id, checkout_id):
    return Response(wallet.session_wallet(session_get(merchant_id=merchant_id, checkout_id=checkout_id)))


class SessionApplyGiftCardApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_apply_giftcard",
        tags=TAGS,
        request=ApplyGiftCardSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: GiftCardApplicationSerializer, **MUTATION_ERROR_RESPONSES, **CODE_GUESSING_LIMITED_RESPONSE},
        examples=[OpenApiExample("Apply", value={"code": "GIFT123"}, request_only=True)],
    )
    def post(self, request, checkout_id):
        serializer = ApplyGiftCardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = wallet.session_gift_card_apply(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            code=serializer.validated_data["code"],
            actor=actor_for(request),
            **code_guesser(request),
        )
        return Response(body)


class SessionRemoveGiftCardApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_remove_giftcard",
        tags=TAGS,
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: WalletSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, checkout_id, code):
        wallet.session_gift_card_remove(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, code=code, actor=actor_for(request)
        )
        return _wallet_response(self.merchant.pk, checkout_id)


class SessionApplyStoreCreditApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_apply_store_credit",
        tags=TAGS,
        request=ApplyStoreCreditSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: WalletSerializer, **MUTATION_ERROR_RESPONSES},
        examples=[OpenApiExample("Apply", value={"amount": 1000}, request_only=True)],
    )
    def post(self, request, checkout_id):
        serializer = ApplyStoreCreditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wallet.session_store_credit_apply(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            amount=serializer.validated_data["amount"],
            actor=actor_for(request),
        )
        return _wallet_response(self.merchant.pk, checkout_id)


class SessionWalletApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(operation_id="sessions_wallet", tags=TAGS, responses={200: WalletSerializer, **ERROR_RESPONSES})
    def get(self, request, checkout_id):
        return _wallet_response(self.merchant.pk, checkout_id)
