from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from core.api.serializers import StrictSerializer
from ledger.models import Export

MAX_RANGE_DAYS = 366


class DateRangeQuerySerializer(serializers.Serializer):
    """`from` and `to` (inclusive, ISO dates, UTC days); the last 30 days when left out."""

    def get_fields(self):
        return {
            "from": serializers.DateField(
                required=False, help_text="First day, inclusive (default: 29 days before to)"
            ),
            "to": serializers.DateField(required=False, help_text="Last day, inclusive (default: today)"),
        }

    def validate(self, attrs):
        date_to = attrs.get("to") or timezone.localdate()
        date_from = attrs.get("from") or date_to - timedelta(days=29)
        if date_to < date_from:
            raise serializers.ValidationError({"to": "to must not be before from."})
        if (date_to - date_from).days >= MAX_RANGE_DAYS:
            raise serializers.ValidationError({"to": f"A range covers at most {MAX_RANGE_DAYS} days."})
        return {"date_from": date_from, "date_to": date_to}


class MethodAnalyticsSerializer(serializers.Serializer):
    payment_method_type = serializers.CharField()
    transaction_count = serializers.IntegerField()
    total_amount = serializers.IntegerField(help_text="Minor units")
    success_rate = serializers.FloatField()


class DailyAnalyticsSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    total_transactions = serializers.IntegerField()
    successful_transactions = serializers.IntegerField()
    total_amount = serializers.IntegerField(help_text="Gross captured, minor units")
    total_refunds = serializers.IntegerField()
    total_disputed = serializers.IntegerField()
    total_fees = serializers.IntegerField()
    net_amount = serializers.IntegerField()
    success_rate = serializers.FloatField()
    chargeback_count = serializers.IntegerField()
    fraud_count = serializers.IntegerField()
    payment_methods = MethodAnalyticsSerializer(many=True)


class MethodTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    payment_method_type = serializers.CharField()
    transaction_count = serializers.IntegerField()
    total_amount = serializers.IntegerField()


class MetricsSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "object": serializers.CharField(default="metrics"),
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "checkout_initiated": serializers.IntegerField(),
            "checkout_completed": serializers.IntegerField(),
            "checkout_abandoned": serializers.IntegerField(),
            "payment_attempts": serializers.IntegerField(),
            "3ds_challenges": serializers.IntegerField(),
            "abandon_rate": serializers.FloatField(),
            "conversion_rate": serializers.FloatField(),
            "avg_time_to_purchase": serializers.FloatField(allow_null=True, help_text="Seconds"),
            "daily": DailyAnalyticsSerializer(many=True),
            "by_payment_method": MethodTotalSerializer(many=True),
        }


class ExportCreateSerializer(StrictSerializer):
    def get_fields(self):
        return {
            "type": serializers.ChoiceField(choices=Export.Type.choices),
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "format": serializers.ChoiceField(choices=Export.Format.choices, required=False, default="csv"),
        }


class ExportSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "id": serializers.CharField(),
            "object": serializers.CharField(default="export"),
            "type": serializers.ChoiceField(choices=Export.Type.choices),
            "format": serializers.ChoiceField(choices=Export.Format.choices),
            "status": serializers.ChoiceField(choices=Export.Status.choices),
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "row_count": serializers.IntegerField(allow_null=True),
            "size_bytes": serializers.IntegerField(allow_null=True),
            "download_url": serializers.CharField(
                allow_null=True, help_text="Signed; works without credentials until download_expires_at"
            ),
            "download_expires_at": serializers.DateTimeField(allow_null=True),
            "error": serializers.CharField(allow_null=True),
            "created_at": serializers.DateTimeField(),
            "completed_at": serializers.DateTimeField(allow_null=True),
        }
