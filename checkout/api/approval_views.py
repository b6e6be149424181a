"""Placing the order and the merchant's approval (SPEC.md 6.1)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response

from checkout.api.order_serializers import DeclineInputSerializer, NoBodySerializer
from checkout.api.permissions import SecretOrSessionClientToken
from checkout.api.serializers import SessionSerializer
from checkout.api.views import session_response
from checkout.selectors import session_get
from checkout.services import approval as approval_services
from core.api.actors import actor_for
from core.api.schema import IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES, ErrorEnvelope
from core.api.views import ApiView

TAG = "Approval"

NOT_READY = OpenApiResponse(
    response=ErrorEnvelope,
    description="`session_not_ready` (with `blockers`, as validate lists them) or an illegal transition",
    examples=[
        OpenApiExample(
            "session_not_ready",
            value={
                "error": {
                    "type": "invalid_request_error",
                    "code": "session_not_ready",
                    "message": "The session is not ready to be placed; fix what blocks it first.",
                    "param": None,
                    "explain": None,
                    "blockers": [
                        {"code": "missing_email", "message": "The customer's email is missing.", "param": "email"}
                    ],
                }
            },
        )
    ],
)


def _no_body(request) -> None:
    NoBodySerializer(data=request.data).is_valid(raise_exception=True)


def _answer(request, merchant_id: int, checkout_id: str) -> Response:
    return session_response(session_get(merchant_id=merchant_id, checkout_id=checkout_id))


class SessionPlaceApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_place",
        tags=[TAG],
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: SessionSerializer, **MUTATION_ERROR_RESPONSES, 409: NOT_READY},
        description=(
            "Places the order. Needs POST /validate to show no blockers (409 `session_not_ready` lists them). "
            "With the merchant's approval mode `merchant` the session moves to `awaiting_approval` and the "
            "merchant gets `checkout.pending_approval` (ids only) and payment_time_limit_minutes to answer; "
            "with `auto` the place is recorded and the session stays ready to pay."
        ),
    )
    def post(self, request, checkout_id):
        _no_body(request)
        approval_services.session_place(merchant_id=self.merchant.pk, checkout_id=checkout_id, actor=actor_for(request))
        return _answer(request, self.merchant.pk, checkout_id)


class SessionApproveApi(ApiView):
    @extend_schema(
        operation_id="sessions_approve",
        tags=[TAG],
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: SessionSerializer, **MUTATION_ERROR_RESPONSES},
        description=(
            "The merchant approves a session awaiting approval, after reading it (price, stock). The shopper "
            "then has payment_time_limit_minutes to pay. 409 from any other status or past the time limit."
        ),
    )
    def post(self, request, checkout_id):
        _no_body(request)
        approval_services.session_approve(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, actor=actor_for(request)
        )
        return _answer(request, self.merchant.pk, checkout_id)


class SessionDeclineApi(ApiView):
    @extend_schema(
        operation_id="sessions_decline",
        tags=[TAG],
        request=DeclineInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        examples=[OpenApiExample("Out of stock", request_only=True, value={"reason": "The blue mug is sold out."})],
        responses={200: SessionSerializer, **MUTATION_ERROR_RESPONSES},
        description="The merchant declines a session awaiting approval; `reason` is shown to the shopper.",
    )
    def post(self, request, checkout_id):
        serializer = DeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        approval_services.session_decline(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            actor=actor_for(request),
            reason=serializer.validated_data["reason"],
        )
        return _answer(request, self.merchant.pk, checkout_id)
