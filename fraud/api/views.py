"""Fraud endpoints: parse, call one service, render."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.api.actors import actor_for
from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView
from fraud import kyc, limits, provider, selectors, services
from fraud.api.serializers import (
    AssessmentSerializer,
    ListEntryCreateSerializer,
    ListEntryQuerySerializer,
    ListEntrySerializer,
    ReviewDecisionSerializer,
    ReviewQuerySerializer,
    ReviewSerializer,
    RuleCreateSerializer,
    RuleSerializer,
    RuleUpdateSerializer,
    TxLimitsSerializer,
    TxLimitsUpdateSerializer,
)

TAGS = ["Fraud"]


class QueuePage(CursorPage):
    ordering = ("created_at", "id")  # a review queue is served oldest first


class RuleListApi(ApiView):
    @extend_schema(
        operation_id="fraud_rules_list", tags=TAGS, responses={200: paginated(RuleSerializer), **ERROR_RESPONSES}
    )
    def get(self, request):
        services.rules_ensure_defaults(merchant_id=self.merchant.pk)
        rules = selectors.rule_list(merchant_id=self.merchant.pk)
        return Response(
            {"object": "list", "data": RuleSerializer(rules, many=True).data, "has_more": False, "next_cursor": None}
        )

    @extend_schema(
        operation_id="fraud_rules_create",
        tags=TAGS,
        request=RuleCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: RuleSerializer, **MUTATION_ERROR_RESPONSES},
        description="400 invalid_conditions names the condition that is wrong for the rule type.",
    )
    def post(self, request):
        serializer = RuleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.rule_create(
            merchant_id=self.merchant.pk, data=dict(serializer.validated_data), actor=actor_for(request)
        )
        return Response(RuleSerializer(rule).data, status=201)


class RuleDetailApi(ApiView):
    @extend_schema(
        operation_id="fraud_rules_update",
        tags=TAGS,
        request=RuleUpdateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: RuleSerializer, **MUTATION_ERROR_RESPONSES},
    )
    def patch(self, request, rule_id):
        serializer = RuleUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.rule_update(
            merchant_id=self.merchant.pk,
            rule_id=rule_id,
            data=dict(serializer.validated_data),
            actor=actor_for(request),
        )
        return Response(RuleSerializer(rule).data)

    @extend_schema(
        operation_id="fraud_rules_delete",
        tags=TAGS,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: None, **MUTATION_ERROR_RESPONSES},
    )
    def delete(self, request, rule_id):
        services.rule_delete(merchant_id=self.merchant.pk, rule_id=rule_id, actor=actor_for(request))
        return Response({"id": rule_id, "object": "fraud_rule", "deleted": True})


class ListEntryListApi(ApiView):
    @extend_schema(
        operation_id="fraud_list_entries_list",
        tags=TAGS,
        parameters=[ListEntryQuerySerializer],
        responses={200: paginated(ListEntrySerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        query = ListEntryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = selectors.list_entry_list(
            merchant_id=self.merchant.pk,
            list=query.validated_data.get("list", ""),
            kind=query.validated_data.get("kind", ""),
        )
        paginator = CursorPage()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(ListEntrySerializer(page, many=True).data)

    @extend_schema(
        operation_id="fraud_list_entries_create",
        tags=TAGS,
        request=ListEntryCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: ListEntrySerializer, **MUTATION_ERROR_RESPONSES},
        description="A block entry scores 100 (blocked); an allow entry bypasses scoring. Adding an entry "
        "that exists returns it.",
    )
    def post(self, request):
        serializer = ListEntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.list_entry_create(
            merchant_id=self.merchant.pk, actor=actor_for(request), **serializer.validated_data
        )
        return Response(ListEntrySerializer(entry).data, status=201)


class ListEntryDetailApi(ApiView):
    @extend_schema(
        operation_id="fraud_list_entries_delete",
        tags=TAGS,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: None, **MUTATION_ERROR_RESPONSES},
    )
    def delete(self, request, entry_id):
        services.list_entry_delete(merchant_id=self.merchant.pk, entry_id=entry_id, actor=actor_for(request))
        return Response({"id": entry_id, "object": "fraud_list_entry", "deleted": True})


class AssessmentDetailApi(ApiView):
    @extend_schema(
        operation_id="fraud_assessments_retrieve",
        tags=TAGS,
        responses={200: AssessmentSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, assessment_id):
        assessment = selectors.assessment_get(merchant_id=self.merchant.pk, assessment_id=assessment_id)
        return Response(AssessmentSerializer(assessment).data)


class ReviewListApi(ApiView):
    @extend_schema(
        operation_id="fraud_reviews_list",
        tags=TAGS,
        parameters=[ReviewQuerySerializer],
        responses={200: paginated(ReviewSerializer), **ERROR_RESPONSES},
        description="Reviews of held payments, oldest first.",
    )
    def get(self, request):
        query = ReviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reviews = selectors.review_list(merchant_id=self.merchant.pk, status=query.validated_data["status"])
        paginator = QueuePage()
        page = paginator.paginate_queryset(reviews, request, view=self)
        return paginator.get_paginated_response(ReviewSerializer(page, many=True).data)


def _decide(view, request, review_id, *, approve: bool):
    serializer = ReviewDecisionSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    assessment = services.review_decide(
        merchant_id=view.merchant.pk,
        assessment_id=review_id,
        approve=approve,
        actor=actor_for(request),
        reason=serializer.validated_data["reason"],
    )
    return Response(ReviewSerializer(assessment).data)


class ReviewApproveApi(ApiView):
    @extend_schema(
        operation_id="fraud_reviews_approve",
        tags=TAGS,
        request=ReviewDecisionSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: ReviewSerializer, **MUTATION_ERROR_RESPONSES},
        description="Approves a held payment: it is captured (automatic capture) and the session may finalize. "
        "409 invalid_state_transition for a review already refused.",
    )
    def post(self, request, review_id):
        return _decide(self, request, review_id, approve=True)


class ReviewRejectApi(ApiView):
    @extend_schema(
        operation_id="fraud_reviews_reject",
        tags=TAGS,
        request=ReviewDecisionSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: ReviewSerializer, **MUTATION_ERROR_RESPONSES},
        description="Refuses a held payment: its authorization is voided and the session fails. "
        "409 invalid_state_transition for a review already approved.",
    )
    def post(self, request, review_id):
        return _decide(self, request, review_id, approve=False)


class TxLimitsApi(ApiView):
    @extend_schema(operation_id="tx_limits_retrieve", tags=TAGS, responses={200: TxLimitsSerializer, **ERROR_RESPONSES})
    def get(self, request):
        return Response(TxLimitsSerializer(limits.tx_limits_get(merchant_id=self.merchant.pk)).data)

    @extend_schema(
        operation_id="tx_limits_update",
        tags=TAGS,
        request=TxLimitsUpdateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={200: TxLimitsSerializer, **MUTATION_ERROR_RESPONSES},
        description="Limits checked before every authorization; a payment past one is refused with 402 "
        "transaction_limit_exceeded (explain names the limit). null removes a limit.",
    )
    def patch(self, request):
        serializer = TxLimitsUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = limits.tx_limits_update(merchant_id=self.merchant.pk, changes=dict(serializer.validated_data))
        return Response(TxLimitsSerializer(updated).data)


class ProviderSecretApi(ApiView):
    @extend_schema(
        operation_id="fraud_provider_secret_rotate",
        tags=TAGS,
        request=None,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: None, **MUTATION_ERROR_RESPONSES},
        description="A new Standard Webhooks secret for your fraud provider's POST /webhook/fraud; shown once.",
    )
    def post(self, request):
        secret = provider.fraud_provider_secret_rotate(merchant_id=self.merchant.pk)
        return Response({"object": "fraud_provider_secret", "secret": secret}, status=201)


class FraudWebhookApi(ApiView):
    """Called by the merchant's fraud provider: the signature is the credential and the
    webhook id deduplicates, so no API key or Idempotency-Key applies."""

    authentication_classes = []
    permission_classes = [AllowAny]
    idempotent = False

    @extend_schema(
        operation_id="webhook_fraud",
        tags=TAGS,
        request=None,
        responses={200: None, 400: ERROR_RESPONSES[400]},
        description="Body: {type, data: {merchant, assessment_id, decision: allow|review|block, reason}}, signed "
        "with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).",
    )
    def post(self, request):
        event, created = provider.fraud_webhook_receive(body=request.body, headers=request.headers)
        return Response({"received": True, "duplicate": not created, "outcome": event.outcome, "detail": event.detail})


class KycDocumentsApi(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="kyc_documents_upload",
        tags=TAGS,
        request={"multipart/form-data": {"type": "object", "properties": {
            "type": {"type": "string", "enum": ["passport", "id_card", "proof_of_address"]},
            "file": {"type": "string", "format": "binary"}}}},
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: None, **MUTATION_ERROR_RESPONSES},
        description="A PDF, JPEG or PNG up to KYC_MAX_UPLOAD_BYTES (5 MB); 400 file_size_invalid or "
        "file_type_invalid otherwise.",
    )  # fmt: skip
    def post(self, request, kyc_id):
        document = kyc.kyc_document_add(
            merchant_id=self.merchant.pk,
            kyc_id=kyc_id,
            type=request.data.get("type"),
            upload=request.FILES.get("file"),
        )
        return Response(
            {"object": "kyc_document", "kyc_id": kyc_id, "type": document.type, "content_type": document.content_type,
             "size": document.size},
            status=201,
        )  # fmt: skip


class KycCompleteApi(ApiView):
    """The KYC provider's signed decision (the merchant's fraud provider secret)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    idempotent = False

    @extend_schema(
        operation_id="kyc_complete",
        tags=TAGS,
        request=None,
        responses={200: None, 400: ERROR_RESPONSES[400]},
        description='Body {"result": "verified"|"rejected", "reason"}, signed with Standard Webhooks.',
    )
    def post(self, request, kyc_id):
        verification = kyc.kyc_complete(kyc_id=kyc_id, body=request.body, headers=request.headers)
        return Response(kyc_payload(verification))


def kyc_payload(verification) -> dict:
    return {
        "object": "kyc_verification",
        "kyc_id": verification.public_id,
        "status": verification.status,
        "reason": verification.reason or None,
        "upload_url": f"{settings.PUBLIC_BASE_URL}/v1/checkout/kyc/{verification.public_id}/documents",
    }
