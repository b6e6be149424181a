"""Failures and remediation (API document section 15): GET /failures, POST
/sessions/{id}/resolve and /support-note."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from checkout.api.order_serializers import OrderSerializer
from checkout.api.serializers import SessionEventSerializer
from checkout.failure_selectors import failure_list, failure_rows
from checkout.failures import REASONS
from checkout.services import remediation
from core.api.actors import actor_for
from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.serializers import StrictSerializer
from core.api.views import ApiView
from core.exceptions import DomainError

TAG = "Failures"


class FailurePaymentSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    failure_code = serializers.CharField(allow_null=True, help_text="The last attempt's, e.g. card_declined")
    decline_code = serializers.CharField(allow_null=True)


class FailureSerializer(serializers.Serializer):
    checkout_id = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.ChoiceField(REASONS)
    message = serializers.CharField(allow_null=True)
    failed_at = serializers.DateTimeField()
    grand_total = serializers.IntegerField(allow_null=True, help_text="Minor units")
    currency = serializers.CharField()
    payment_intent = FailurePaymentSerializer(allow_null=True)
    actions = serializers.ListField(
        child=serializers.ChoiceField(remediation.ACTIONS), help_text="What POST /resolve accepts for it now"
    )
    created_at = serializers.DateTimeField()


class FailureQuerySerializer(serializers.Serializer):
    reason = serializers.ChoiceField(REASONS, required=False)
    failed_gte = serializers.DateTimeField(required=False)
    failed_lte = serializers.DateTimeField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False)
    cursor = serializers.CharField(required=False)


class FailureListApi(ApiView):
    @extend_schema(
        operation_id="failures_list",
        tags=[TAG],
        description=(
            "Failed and stuck checkouts, newest first, each with one `reason` from a fixed vocabulary "
            f"({', '.join(REASONS)}) and the `actions` POST /sessions/{{id}}/resolve accepts for it. "
            "Stuck: declined with attempts left, a finalization that failed, or paid over ten minutes ago "
            "with no order."
        ),
        parameters=[
            OpenApiParameter("reason", str, enum=REASONS),
            OpenApiParameter("failed_gte", str, description="Failed at or after this ISO 8601 time"),
            OpenApiParameter("failed_lte", str, description="Failed at or before this ISO 8601 time"),
            OpenApiParameter("limit", int, description="Page size, 1 to 100 (default 20)"),
            OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
        ],
        responses={200: paginated(FailureSerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        query = FailureQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = {k: v for k, v in query.validated_data.items() if k not in ("limit", "cursor")}
        paginator = CursorPage()
        page = paginator.paginate_queryset(failure_list(merchant_id=self.merchant.pk, **filters), request, view=self)
        return paginator.get_paginated_response(FailureSerializer(failure_rows(page), many=True).data)


class ResolveSerializer(StrictSerializer):
    action = serializers.ChoiceField(remediation.ACTIONS)
    payment_method_id = serializers.CharField(
        max_length=40, required=False, help_text="replace_payment_method: the tokenized method to pay with"
    )
    reason = serializers.CharField(
        max_length=500, required=False, help_text="manual_override (required): why, and how it was paid"
    )
    external_reference = serializers.CharField(
        max_length=200, required=False, default="", help_text="manual_override: the outside payment's reference"
    )
    promotion_code = serializers.CharField(max_length=50, required=False, help_text="apply_discount: the code")

    REQUIRED = {
        remediation.REPLACE_PAYMENT_METHOD: "payment_method_id",
        remediation.MANUAL_OVERRIDE: "reason",
        remediation.APPLY_DISCOUNT: "promotion_code",
    }

    def validate(self, attrs):
        attrs = super().validate(attrs)
        needed = self.REQUIRED.get(attrs["action"])
        if needed and not (attrs.get(needed) or "").strip():
            raise DomainError(f"{attrs['action']} needs `{needed}`.", code="parameter_missing", param=needed)
        return attrs


class ResolutionSerializer(serializers.Serializer):
    object = serializers.CharField(help_text="checkout.resolution")
    action = serializers.ChoiceField(remediation.ACTIONS)
    checkout_id = serializers.CharField()
    payment_intent_id = serializers.CharField(allow_null=True, help_text="The new or finalized intent")
    calculation_id = serializers.CharField(allow_null=True)
    order = OrderSerializer(allow_null=True)


class SessionResolveApi(ApiView):
    @extend_schema(
        operation_id="sessions_resolve",
        tags=[TAG],
        request=ResolveSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        description=(
            "Fixes a failed or stuck checkout with one audited action. `replace_payment_method` "
            "(`payment_method_id`): a new intent for the current total with the method attached, ready to "
            "confirm. `manual_override` (`reason`, optional `external_reference`): the order is made with "
            "`payment_status: settled_outside`. `apply_discount` (`promotion_code`): the totals are "
            "recalculated (and, after a failed payment, the intent replaced for the new total). "
            "`retry_finalization`: finalize a paid session again. Refused with 409 `resolution_not_allowed` "
            "where the session's state does not allow it."
        ),
        examples=[
            OpenApiExample(
                "Pay with another card",
                request_only=True,
                value={"action": "replace_payment_method", "payment_method_id": "pm_123"},
            ),
            OpenApiExample(
                "Paid by bank transfer",
                request_only=True,
                value={"action": "manual_override", "reason": "Paid by bank transfer", "external_reference": "BT-2211"},
            ),
        ],
        responses={200: ResolutionSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, checkout_id):
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        common = {"merchant_id": self.merchant.pk, "checkout_id": checkout_id, "actor": actor_for(request)}
        action = data["action"]
        if action == remediation.REPLACE_PAYMENT_METHOD:
            result = remediation.session_replace_payment_method(**common, payment_method_id=data["payment_method_id"])
        elif action == remediation.MANUAL_OVERRIDE:
            result = remediation.session_manual_override(
                **common, reason=data["reason"].strip(), external_reference=data["external_reference"]
            )
        elif action == remediation.APPLY_DISCOUNT:
            result = remediation.session_apply_discount(**common, promotion_code=data["promotion_code"])
        else:
            result = remediation.session_retry_finalization(**common)
        body = {
            "object": "checkout.resolution",
            "action": result.action,
            "checkout_id": result.checkout_id,
            "payment_intent_id": result.payment_intent_id or None,
            "calculation_id": result.calculation_id or None,
            "order": result.order,
        }
        return Response(ResolutionSerializer(body).data)


class SupportNoteSerializer(StrictSerializer):
    note = serializers.CharField(max_length=4000)
    author = serializers.CharField(max_length=200)


class SessionSupportNoteApi(ApiView):
    @extend_schema(
        operation_id="sessions_support_note",
        tags=[TAG],
        request=SupportNoteSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        description="A note for support teams, shown on the session's timeline, in the back office and in the audit.",
        examples=[
            OpenApiExample(
                "A note", request_only=True, value={"note": "Shopper called: paying by bank transfer.", "author": "amy"}
            )
        ],
        responses={201: SessionEventSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def post(self, request, checkout_id):
        serializer = SupportNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = remediation.session_support_note_add(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            note=serializer.validated_data["note"],
            author=serializer.validated_data["author"],
            actor=actor_for(request),
        )
        return Response(SessionEventSerializer(event).data, status=201)
