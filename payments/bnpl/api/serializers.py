"""Shapes of the installment endpoints."""

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.api.serializers import StrictSerializer


class InstallmentSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    id = serializers.CharField(source="public_id")
    plan_id = serializers.CharField(source="plan.public_id")
    sequence = serializers.IntegerField()
    status = serializers.CharField(
        source="state", help_text="pending, processing, paid, failed, overdue, collections, cancelled"
    )
    amount = serializers.IntegerField(help_text="Minor units still to charge (a refund may have reduced it)")
    original_amount = serializers.IntegerField()
    amount_refunded = serializers.IntegerField()
    currency = serializers.CharField()
    due_date = serializers.DateField()
    attempts = serializers.IntegerField(source="attempt_count")
    last_failure_code = serializers.CharField(allow_null=True)
    last_decline_code = serializers.CharField(allow_null=True)
    next_attempt_on = serializers.DateField(allow_null=True)
    overdue_since = serializers.DateField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    paid_offline = serializers.BooleanField()
    payment_intent_id = serializers.SerializerMethodField(help_text="The charge that paid it, or the last one tried")

    def get_object(self, installment) -> str:
        return "installment"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_payment_intent_id(self, installment):
        charge = installment.paid_by or installment.charge
        return charge.public_id if charge else None

    def to_representation(self, installment):
        data = super().to_representation(installment)
        data["last_failure_code"] = data["last_failure_code"] or None
        data["last_decline_code"] = data["last_decline_code"] or None
        return data


class InstallmentPlanSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    status = serializers.CharField(source="state", help_text="active, completed, cancelled")
    plan = serializers.CharField(source="plan_code")
    installment_count = serializers.IntegerField()
    total_amount = serializers.IntegerField()
    currency = serializers.CharField()
    application_id = serializers.CharField(source="application.public_id")
    card = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.DictField())
    def get_card(self, plan):
        method = plan.payment_method
        return {"brand": method.brand, "last4": method.last4}


class InstallmentListSerializer(serializers.Serializer):
    object = serializers.CharField()
    payment_intent_id = serializers.CharField()
    plan = InstallmentPlanSerializer(allow_null=True)
    data = InstallmentSerializer(many=True)
    has_more = serializers.BooleanField(help_text="Always false: a plan's schedule is answered whole")


@extend_schema_serializer(
    examples=[
        OpenApiExample("Pay with another card", request_only=True, value={"payment_method_id": "pm_4QfS2nW8xY0aBcDe"}),
        OpenApiExample("Pay with the plan's card", request_only=True, value={}),
    ]
)
class InstallmentPaySerializer(StrictSerializer):
    payment_method_id = serializers.CharField(max_length=40, required=False)
