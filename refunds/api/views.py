"""Refund endpoints: parse, call one service, render."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api.actors import actor_for
from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView, etag_for
from refunds import services
from refunds.api.serializers import (
    RefundCreateSerializer,
    RefundInformationSerializer,
    RefundListQuerySerializer,
    RefundSerializer,
)
from refunds.selectors import refund_get, refund_list

TAGS = ["Refunds"]


def refund_response(refund, *, status=200):
    return Response(RefundSerializer(refund).data, status=status, headers={"ETag": etag_for(refund.version)})


class PaymentIntentRefundApi(ApiView):
    @extend_schema(
        operation_id="payment_intents_refund",
        tags=TAGS,
        request=RefundCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: RefundSerializer, **MUTATION_ERROR_RESPONSES},
        description=(
            "Asks for a refund of a captured payment intent. Within the merchant's automatic limits it is "
            "approved and sent to the gateway at once; above them it waits for review (under_review). "
            "400 refund_exceeds_captured when completed and pending refunds would pass the captured amount; "
            "409 payment_not_captured for an uncaptured authorization (cancel it instead), payment_disputed "
            "during a dispute. A payment made by bank transfer is refunded by a transfer to the account it came "
            "from (the bank statement's); where no statement shows that account, bank_account names it (400 "
            "bank_account_required without it, bank_account_mismatch for another account than the statement's). "
            "Such a refund stays processing until finance has sent the transfer, then completes."
        ),
    )
    def post(self, request, payment_intent_id):
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = services.refund_create(
            merchant_id=self.merchant.pk,
            payment_intent_id=payment_intent_id,
            amount=serializer.validated_data.get("amount"),
            reason=serializer.validated_data["reason"],
            note=serializer.validated_data["note"],
            lines=serializer.validated_data.get("lines", []),
            receipt_email=serializer.validated_data["receipt_email"],
            allocations=serializer.validated_data.get("allocations"),
            refund_to=serializer.validated_data["refund_to"],
            customer_id=serializer.validated_data["customer_id"],
            bank_account=serializer.validated_data.get("bank_account"),
            actor=actor_for(request),
        )
        # Read again: processing may already have moved it (an eager worker, a fast one).
        return refund_response(refund_get(merchant_id=self.merchant.pk, refund_id=refund.public_id), status=201)


class RefundListApi(ApiView):
    @extend_schema(
        operation_id="refunds_list",
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", str, description="Only refunds in this status"),
            OpenApiParameter("payment_intent", str, description="Only refunds of this payment intent"),
            OpenApiParameter("created_gte", str, description="Created at or after this ISO 8601 time"),
            OpenApiParameter("created_lte", str, description="Created at or before this ISO 8601 time"),
            OpenApiParameter("limit", int, description="Page size, 1 to 100 (default 20)"),
            OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
        ],
        responses={200: paginated(RefundSerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        query = RefundListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = {k: v for k, v in query.validated_data.items() if k not in ("limit", "cursor")}
        paginator = CursorPage()
        page = paginator.paginate_queryset(refund_list(merchant_id=self.merchant.pk, **filters), request, view=self)
        return paginator.get_paginated_response(RefundSerializer(page, many=True).data)


class RefundDetailApi(ApiView):
    @extend_schema(operation_id="refunds_retrieve", tags=TAGS, responses={200: RefundSerializer, **ERROR_RESPONSES})
    def get(self, request, refund_id):
        return refund_response(refund_get(merchant_id=self.merchant.pk, refund_id=refund_id))


class RefundInformationApi(ApiView):
    @extend_schema(
        operation_id="refunds_information",
        tags=TAGS,
        request=RefundInformationSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: RefundSerializer, **MUTATION_ERROR_RESPONSES},
        description="Answers the reviewer's question on a refund in needs_info and sends it back to review.",
    )
    def post(self, request, refund_id):
        serializer = RefundInformationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.refund_provide_info(
            merchant_id=self.merchant.pk,
            refund_id=refund_id,
            information=serializer.validated_data["information"],
            actor=actor_for(request),
        )
        return refund_response(refund_get(merchant_id=self.merchant.pk, refund_id=refund_id))
