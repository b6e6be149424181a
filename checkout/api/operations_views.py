"""SRE views of the merchant's pipeline (API document section 18): GET /diagnostics and
GET /threads. GET /health, for load balancers, is core's."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from checkout.operations import diagnostics_for, threads_for
from core.api.schema import ERROR_RESPONSES
from core.api.views import ApiView

TAG = "Health"


class LatencySerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Calls in the window")
    avg_ms = serializers.IntegerField(allow_null=True, help_text="Mean, in milliseconds; null without calls")


class WebhookDeliveryCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    failing = serializers.IntegerField(help_text="Pending after at least one failed attempt")
    failed = serializers.IntegerField(help_text="Given up after the last retry")


class DiagnosticsSerializer(serializers.Serializer):
    object = serializers.CharField(help_text="diagnostics")
    generated_at = serializers.DateTimeField()
    window_seconds = serializers.IntegerField(help_text="The latencies' window: the last hour")
    sessions_in_flight = serializers.DictField(child=serializers.IntegerField(), help_text="Open sessions by status")
    reservation_latency = LatencySerializer()
    payment_intent_latency = LatencySerializer(help_text="Gateway calls of payment attempts")
    queue_depth = serializers.DictField(
        child=serializers.IntegerField(allow_null=True), help_text="Messages waiting, per Celery queue, from the broker"
    )
    webhook_deliveries = WebhookDeliveryCountsSerializer()
    oldest_unprocessed_gateway_event_seconds = serializers.FloatField(allow_null=True)


class ThreadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(["finalization", "closing", "payment_attempt", "webhook_delivery"])
    id = serializers.CharField()
    checkout_id = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    running_seconds = serializers.FloatField()
    expected_seconds = serializers.IntegerField()


class ThreadListSerializer(serializers.Serializer):
    object = serializers.CharField(help_text="list")
    data = ThreadSerializer(many=True)


class DiagnosticsApi(ApiView):
    @extend_schema(
        operation_id="diagnostics_retrieve",
        tags=[TAG],
        description=(
            "Your sessions in flight by status, the mean reservation and payment-intent latency over the last "
            "hour, Celery queue depth per queue (read from the broker), your webhook deliveries pending and "
            "failing, and how long the oldest unprocessed gateway event has waited."
        ),
        responses={200: DiagnosticsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        return Response(DiagnosticsSerializer(diagnostics_for(merchant_id=self.merchant.pk)).data)


class ThreadsApi(ApiView):
    @extend_schema(
        operation_id="threads_list",
        tags=[TAG],
        description=(
            "Long-running work past its expected time (THREADS_EXPECTED_SECONDS): finalization jobs, sessions "
            "still giving money back, payment attempts waiting on the gateway, webhook deliveries a worker did "
            "not finish. Oldest first, at most 100 of each kind."
        ),
        responses={200: ThreadListSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        threads = threads_for(merchant_id=self.merchant.pk)
        return Response(ThreadListSerializer({"object": "list", "data": threads}).data)
