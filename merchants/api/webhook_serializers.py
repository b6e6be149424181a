"""Input and output shapes of the webhook and event API."""

from rest_framework import serializers

from merchants.webhooks.event_types import pattern_problem
from merchants.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from merchants.webhooks.payload import event_payload

MAX_PATTERNS = 50


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields, so a typo is a 400 naming it."""

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: "Unknown field."})
        return attrs


class WebhookEndpointCreateSerializer(StrictSerializer):
    url = serializers.URLField(max_length=2000, help_text="https only; must resolve to public addresses")
    events = serializers.ListField(
        child=serializers.CharField(max_length=64),
        min_length=1,
        max_length=MAX_PATTERNS,
        help_text="Event types, families such as `payment.*`, or `*`",
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    secret = serializers.CharField(
        required=False,
        trim_whitespace=False,
        max_length=200,
        write_only=True,
        help_text="Your own signing secret: `whsec_` + base64 of 24 to 64 random bytes, or 32 to 128 "
        "characters with at least 12 different ones. Without it one is generated. Either way the "
        "response's `secret` (whsec_…) is what a Standard Webhooks library is given",
    )

    def validate_events(self, value):
        for pattern in value:
            problem = pattern_problem(pattern)
            if problem:
                raise serializers.ValidationError(problem)
        return value


class WebhookTestSerializer(StrictSerializer):
    endpoint_id = serializers.CharField(
        max_length=40, required=False, help_text="Optional when the merchant has a single endpoint"
    )


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    object = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "object",
            "url",
            "events",
            "description",
            "status",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "updated_at",
        ]

    def get_object(self, obj) -> str:
        return "webhook_endpoint"


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.SerializerMethodField(help_text="The signing secret; shown only in this response")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]

    def get_secret(self, obj) -> str:
        return self.context["secret"]


class CallbackSecretSerializer(serializers.Serializer):
    object = serializers.CharField(default="callback_secret")
    secret = serializers.CharField(help_text="Signs session callbacks; shown only in this response")
    previous_secret_expires_in_hours = serializers.IntegerField()


class CallbackSecretReadSerializer(serializers.Serializer):
    object = serializers.CharField(default="callback_secret")
    secret = serializers.CharField(help_text="The Standard Webhooks secret (whsec_…) signing session callbacks")
    expires_at = serializers.DateTimeField(allow_null=True, help_text="null: it signs until the next rotation")
    signature_headers = serializers.ListField(child=serializers.CharField())


class WebhookTestResultSerializer(serializers.Serializer):
    object = serializers.CharField()
    endpoint_id = serializers.CharField()
    event_id = serializers.CharField()
    webhook_id = serializers.CharField()
    url = serializers.CharField()
    outcome = serializers.ChoiceField(["succeeded", "failed"])
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    outcome = serializers.SerializerMethodField()

    class Meta:
        model = WebhookAttempt
        fields = ["number", "outcome", "status_code", "latency_ms", "response_excerpt", "error", "created_at"]

    def get_outcome(self, obj) -> str:
        return "succeeded" if obj.succeeded else "failed"


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True, help_text="The webhook-id header")
    object = serializers.SerializerMethodField()
    event_id = serializers.CharField(source="event.public_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "object",
            "event_id",
            "event_type",
            "state",
            "attempt_count",
            "next_attempt_at",
            "failure_reason",
            "created_at",
            "updated_at",
            "attempts",
        ]

    def get_object(self, obj) -> str:
        return "webhook_delivery"


class EventDataSerializer(serializers.Serializer):
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class EventSerializer(serializers.Serializer):
    """Documents the shape; the body itself is `event_payload`, exactly what webhooks carry."""

    id = serializers.CharField()
    object = serializers.CharField()
    type = serializers.CharField()
    created = serializers.DateTimeField()
    merchant = serializers.CharField()
    checkout_id = serializers.CharField(allow_null=True)
    payment_intent_id = serializers.CharField(allow_null=True)
    correlation_id = serializers.CharField(allow_null=True)
    request_id = serializers.CharField(
        allow_null=True, help_text="The X-Request-ID of the API call or job that caused the event"
    )
    data = EventDataSerializer()

    def to_representation(self, instance):
        return event_payload(instance)
