"""A session's fraud score and the assignment of its review."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from checkout.services.fraud import session_fraud_score, session_kyc_start, session_review_assign
from core.api.actors import actor_for
from core.api.schema import IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView
from fraud.api.serializers import AssignSerializer, ReviewSerializer, ScoreRequestSerializer, ScoreResultSerializer
from fraud.api.views import kyc_payload

TAGS = ["Fraud"]


class SessionFraudScoreApi(ApiView):
    @extend_schema(
        operation_id="sessions_fraud_score",
        tags=TAGS,
        request=ScoreRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: ScoreResultSerializer, **MUTATION_ERROR_RESPONSES},
        description="Scores the session without paying (stored as an assessment; never queued for review). "
        "recommended_action: allow (0-30), challenge (31-70), cancel (71-100) with the merchant's thresholds.",
    )
    def post(self, request, checkout_id):
        serializer = ScoreRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = session_fraud_score(
            merchant_id=self.merchant.pk,
            checkout_id=checkout_id,
            actor=actor_for(request),
            ip=serializer.validated_data["ip_address"],
            device_fingerprint=serializer.validated_data["device_fingerprint"],
            payment_method_id=serializer.validated_data["payment_method_id"],
        )
        return Response(ScoreResultSerializer(assessment).data)


class SessionReviewAssignApi(ApiView):
    @extend_schema(
        operation_id="sessions_manual_review_assign",
        tags=TAGS,
        request=AssignSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: ReviewSerializer, **MUTATION_ERROR_RESPONSES},
        description="Puts the session's open review in a staff analyst's queue (assignee: a staff username).",
    )
    def post(self, request, checkout_id):
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = session_review_assign(
            merchant_id=self.merchant.pk, checkout_id=checkout_id, assignee=serializer.validated_data["assignee"]
        )
        return Response(ReviewSerializer(assessment).data)


class SessionKycStartApi(ApiView):
    @extend_schema(
        operation_id="sessions_kyc_start",
        tags=TAGS,
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: None, **MUTATION_ERROR_RESPONSES},
        description="Starts the payer's identity check (or returns the pending one): {kyc_id, status, upload_url}.",
    )
    def post(self, request, checkout_id):
        verification = session_kyc_start(merchant_id=self.merchant.pk, checkout_id=checkout_id)
        return Response(kyc_payload(verification), status=201)
