"""Totals: calculate (the authoritative compute), the latest snapshot, and what blocks payment."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from checkout.api.permissions import SecretOrSessionClientToken
from checkout.api.pricing_serializers import (
    CalculateInputSerializer,
    CalculationSerializer,
    ValidationResultSerializer,
)
from checkout.pricing_selectors import calculation_latest_get, session_blockers
from checkout.services.pricing import session_calculate
from core.api.actors import actor_for
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES, ErrorEnvelope
from core.api.views import ApiView


def calculation_response(calc, *, checkout_id: str, is_current: bool):
    return Response(CalculationSerializer(calc, context={"checkout_id": checkout_id, "is_current": is_current}).data)


class SessionCalculateApi(ApiView):
    @extend_schema(
        operation_id="sessions_calculate",
        tags=["Totals"],
        request=CalculateInputSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={
            200: CalculationSerializer,
            **MUTATION_ERROR_RESPONSES,
            503: OpenApiResponse(ErrorEnvelope, description="tax_provider_unavailable: the tax provider is missing"),
            504: OpenApiResponse(ErrorEnvelope, description="calculation_timeout: past timeout_ms, nothing written"),
        },
        description=(
            "Computes the session's totals and stores them as a new immutable calculation. "
            "An invalid promotion code is a 400 invalid_promotion; an empty cart is 409 cart_empty. "
            "`force` false answers the current calculation when nothing changed; `timeout_ms` bounds the work "
            "(504 calculation_timeout past it). After the session leaves created/collecting the current "
            "calculation is returned, or 409 if it is stale or force is true."
        ),
    )
    def post(self, request, checkout_id):
        serializer = CalculateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        calc = session_calculate(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            actor=actor_for(request),
            promotion_codes=serializer.validated_data.get("promotion_codes"),
            force=serializer.validated_data.get("force"),
            timeout_ms=serializer.validated_data.get("timeout_ms"),
        )
        return calculation_response(calc, checkout_id=checkout_id, is_current=True)


class SessionTotalsApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]

    @extend_schema(
        operation_id="sessions_totals",
        tags=["Totals"],
        responses={200: CalculationSerializer, **ERROR_RESPONSES},
        description=(
            "The latest calculation, with is_current false once the session changed since. "
            "404 calculation_missing before the first calculate."
        ),
    )
    def get(self, request, checkout_id):
        latest = calculation_latest_get(merchant_id=self.merchant.pk, checkout_id=checkout_id)
        return calculation_response(latest.calculation, checkout_id=latest.checkout_id, is_current=latest.is_current)


class SessionValidateApi(ApiView):
    permission_classes = [SecretOrSessionClientToken]
    # A read: replaying a stored answer would report blockers that may be fixed by now.
    idempotent = False

    @extend_schema(
        operation_id="sessions_validate",
        tags=["Totals"],
        request=None,
        responses={200: ValidationResultSerializer, **ERROR_RESPONSES},
        description="Lists what blocks payment of the session; changes nothing.",
    )
    def post(self, request, checkout_id):
        blockers = session_blockers(merchant_id=self.merchant.pk, checkout_id=checkout_id)
        return Response(
            ValidationResultSerializer(
                {
                    "checkout_id": checkout_id,
                    "valid": not blockers,
                    "blockers": blockers,
                    "object": "checkout.validation",
                }
            ).data
        )
