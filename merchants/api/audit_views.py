from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from core.api.pagination import CursorPage, paginated
from core.api.schema import ERROR_RESPONSES
from core.api.views import ApiView
from merchants.audit.models import AuditEntry
from merchants.audit.selectors import audit_list


class AuditEntrySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    object = serializers.SerializerMethodField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    data = serializers.JSONField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "object",
            "object_type",
            "object_id",
            "action",
            "actor",
            "actor_type",
            "before",
            "after",
            "data",
            "request_id",
            "created_at",
        ]

    def get_object(self, entry) -> str:
        return "audit_entry"


class AuditQuerySerializer(serializers.Serializer):
    object_type = serializers.CharField(max_length=40, required=False)
    object_id = serializers.CharField(max_length=64, required=False)
    actor = serializers.CharField(max_length=140, required=False)
    actor_type = serializers.ChoiceField(AuditEntry.ActorType.choices, required=False)
    action = serializers.CharField(max_length=64, required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lte = serializers.DateTimeField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False)
    cursor = serializers.CharField(required=False)


class AuditListApi(ApiView):
    @extend_schema(
        operation_id="audit_list",
        tags=["Merchant"],
        description=(
            "Every state and configuration change of your objects (sessions, payment intents, refunds, disputes, "
            "fraud decisions, settings, API keys, webhook endpoints), newest first: who made it (`actor`, "
            "`actor_type`), what it was before and after, and the `request_id` of the call that made it."
        ),
        parameters=[
            OpenApiParameter("object_type", str, description="e.g. checkout_session, payment_intent, refund, settings"),
            OpenApiParameter("object_id", str, description="The object's id (checkout_id, payment intent id, …)"),
            OpenApiParameter("actor", str, description="Exactly as shown in `actor`, e.g. merchant:sk_test_Ab12Cd34"),
            OpenApiParameter("actor_type", str, enum=AuditEntry.ActorType.values),
            OpenApiParameter("action", str, description="e.g. status.failed, settings.updated"),
            OpenApiParameter("created_gte", str, description="At or after this ISO 8601 time"),
            OpenApiParameter("created_lte", str, description="At or before this ISO 8601 time"),
            OpenApiParameter("limit", int, description="Page size, 1 to 100 (default 20)"),
            OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
        ],
        responses={200: paginated(AuditEntrySerializer), **ERROR_RESPONSES},
    )
    def get(self, request):
        query = AuditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = {k: v for k, v in query.validated_data.items() if k not in ("limit", "cursor")}
        paginator = CursorPage()
        page = paginator.paginate_queryset(audit_list(merchant_id=self.merchant.pk, **filters), request, view=self)
        return paginator.get_paginated_response(AuditEntrySerializer(page, many=True).data)
