"""Finalization (SPEC.md section 4, item 8) and the orders it hands off."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response

from checkout.api.order_serializers import (
    FinalizationJobSerializer,
    FinalizeInputSerializer,
    FinalizeResultSerializer,
    NoBodySerializer,
    OrderSerializer,
    RollbackResultSerializer,
)
from checkout.order_selectors import finalization_job_get, order_get
from checkout.services import finalize as finalize_services
from checkout.services import finalize_jobs, finalize_rollback
from core.api.actors import actor_for
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES, ErrorEnvelope
from core.api.views import ApiView

TAG = "Finalization"

FINALIZE_CONFLICT = OpenApiResponse(
    response=ErrorEnvelope,
    description=(
        "`payment_not_settled` before the payment succeeded, `invalid_state_transition`, or "
        "`finalization_failed` after payment (with `cause` and `compensation`: the money was given back)"
    ),
    examples=[
        OpenApiExample(
            "finalization_failed",
            value={
                "error": {
                    "type": "invalid_request_error",
                    "code": "finalization_failed",
                    "message": "The order could not be finalized: There is not enough stock left for this order. "
                    "The payment was refunded.",
                    "param": "lines",
                    "explain": None,
                    "cause": "inventory_shortfall",
                    "compensation": "refunded",
                    "lines": [{"sku": "MUG", "requested": 2, "available": 1}],
                }
            },
        )
    ],
)


def _no_body(request) -> None:
    NoBodySerializer(data=request.data).is_valid(raise_exception=True)


class SessionFinalizeApi(ApiView):
    @extend_schema(
        operation_id="sessions_finalize",
        tags=[TAG],
        request=FinalizeInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={
            201: FinalizeResultSerializer,
            200: OpenApiResponse(FinalizeResultSerializer, description="Already finalized: the same order"),
            **MUTATION_ERROR_RESPONSES,
            409: FINALIZE_CONFLICT,
        },
        description=(
            "Turns a paid session (payment captured, or authorized with manual capture) into its order: "
            "commits the stock, redeems the promotion, writes the order and its receipt, and sends "
            "`checkout.completed`. Exactly one order per session: a repeated or concurrent call answers 200 "
            "with the same order. Answers the API document's `status: completed`, `order_id` and "
            "`receipt_id` at the top level, and the whole `order`. `order_service_hint` is stored on the "
            "order as given; `create_order: false` is refused (400 `option_unsupported`)."
        ),
    )
    def post(self, request, checkout_id):
        serializer = FinalizeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = finalize_services.session_finalize(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            actor=actor_for(request),
            order_service_hint=serializer.validated_data["order_service_hint"],
        )
        order = result.order
        if not result.created:
            # A replay: the payment may have moved since (a refund, a capture); read it now.
            order = order_get(merchant_id=self.merchant.pk, order_id=order.public_id)
        body = {
            "object": "checkout.finalization",
            "status": "completed",
            "checkout_id": checkout_id,
            "created": result.created,
            "order": order,
        }
        return Response(FinalizeResultSerializer(body).data, status=201 if result.created else 200)


class SessionFinalizeAsyncApi(ApiView):
    @extend_schema(
        operation_id="sessions_finalize_async",
        tags=[TAG],
        request=FinalizeInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={202: FinalizationJobSerializer, **MUTATION_ERROR_RESPONSES},
        description=(
            "Queues the finalization and answers at once with its job; poll GET /finalizations/{job_id}. "
            "While a job for the session is queued or running, the same job is returned."
        ),
    )
    def post(self, request, checkout_id):
        serializer = FinalizeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = finalize_jobs.finalization_job_create(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            actor=actor_for(request),
            order_service_hint=serializer.validated_data["order_service_hint"],
        )
        job = finalization_job_get(merchant_id=self.merchant.pk, job_id=job.public_id)
        return Response(FinalizationJobSerializer(job).data, status=202)


class FinalizationJobDetailApi(ApiView):
    @extend_schema(
        operation_id="finalizations_retrieve",
        tags=[TAG],
        responses={200: FinalizationJobSerializer, **ERROR_RESPONSES},
        description="Progress of an asynchronous finalization: queued, running, succeeded (order_id) or failed.",
    )
    def get(self, request, job_id):
        return Response(
            FinalizationJobSerializer(finalization_job_get(merchant_id=self.merchant.pk, job_id=job_id)).data
        )


class SessionFinalizeRollbackApi(ApiView):
    @extend_schema(
        operation_id="sessions_finalize_rollback",
        tags=[TAG],
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: RollbackResultSerializer, **MUTATION_ERROR_RESPONSES},
        description=(
            "Best-effort undo of a finalization that did not complete, each step on the timeline: releases "
            "the stock hold, gives the money back (voids an authorization, cancels an unconfirmed intent, "
            "refunds a capture), and fails a session still in payment_processing. A finalized session (it "
            "has an order) is 409 `order_exists`: refund the order instead."
        ),
    )
    def post(self, request, checkout_id):
        _no_body(request)
        result = finalize_rollback.session_finalize_rollback(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, actor=actor_for(request)
        )
        body = {
            "object": "checkout.finalization_rollback",
            "checkout_id": result.session.public_id,
            "status": result.session.status,
            "status_reason": result.session.status_reason,
            "holds_released": result.holds_released,
            "payment": result.payment,
        }
        return Response(RollbackResultSerializer(body).data)


class OrderDetailApi(ApiView):
    @extend_schema(
        operation_id="orders_retrieve",
        tags=[TAG],
        responses={200: OrderSerializer, **ERROR_RESPONSES},
        description="The order a session was finalized into, with the data behind its receipt.",
    )
    def get(self, request, order_id):
        return Response(OrderSerializer(order_get(merchant_id=self.merchant.pk, order_id=order_id)).data)
