"""Input and output shapes of the fraud API (Stripe Radar's reviews and rules, the seed's
FraudAssessment)."""

from rest_framework import serializers

from core.api.serializers import StrictSerializer
from fraud.models import FraudAssessment, ListEntry, RuleAction, RuleType
from fraud.selectors import review_payload

RECOMMENDED = {
    FraudAssessment.Status.ALLOWED: "allow",
    FraudAssessment.Status.IN_REVIEW: "challenge",
    FraudAssessment.Status.BLOCKED: "cancel",
    FraudAssessment.Status.PENDING: "challenge",
}


class RuleSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    object = serializers.SerializerMethodField()
    name = serializers.CharField()
    rule_type = serializers.CharField()
    conditions = serializers.JSONField()
    action = serializers.CharField()
    score = serializers.IntegerField()
    priority = serializers.IntegerField()
    is_active = serializers.BooleanField()
    is_default = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_object(self, rule) -> str:
        return "fraud_rule"


class RuleCreateSerializer(StrictSerializer):
    """Types are checked strictly by the service (an integer is an integer, not "5")."""

    name = serializers.JSONField()
    rule_type = serializers.ChoiceField(choices=RuleType.choices)
    conditions = serializers.JSONField()
    action = serializers.JSONField(required=False, help_text=f"One of {', '.join(RuleAction.values)}")
    score = serializers.JSONField(required=False, help_text="Points added when the rule matches, 0-100")
    priority = serializers.JSONField(required=False, help_text="Lower runs first, 0-1000")
    is_active = serializers.JSONField(required=False)


class RuleUpdateSerializer(StrictSerializer):
    name = serializers.JSONField(required=False)
    conditions = serializers.JSONField(required=False)
    action = serializers.JSONField(required=False)
    score = serializers.JSONField(required=False)
    priority = serializers.JSONField(required=False)
    is_active = serializers.JSONField(required=False)


class ListEntrySerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    object = serializers.SerializerMethodField()
    list = serializers.CharField()
    kind = serializers.CharField()
    value = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_object(self, entry) -> str:
        return "fraud_list_entry"


class ListEntryCreateSerializer(StrictSerializer):
    list = serializers.ChoiceField(choices=ListEntry.List.choices)
    kind = serializers.ChoiceField(choices=ListEntry.Kind.choices)
    value = serializers.CharField(max_length=254)
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class ListEntryQuerySerializer(serializers.Serializer):
    list = serializers.ChoiceField(choices=ListEntry.List.choices, required=False)
    kind = serializers.ChoiceField(choices=ListEntry.Kind.choices, required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False)


class AlertSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    kind = serializers.CharField()
    message = serializers.CharField()
    created_at = serializers.DateTimeField()


class AssessmentSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    object = serializers.SerializerMethodField()
    status = serializers.CharField()
    risk_score = serializers.IntegerField()
    risk_level = serializers.CharField()
    recommended_action = serializers.SerializerMethodField()
    rule_matches = serializers.JSONField()
    allow_listed = serializers.BooleanField()
    decision = serializers.CharField()
    decision_reason = serializers.CharField()
    reviewed_by = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    payment_intent = serializers.CharField(source="payment_intent_id", allow_blank=True)
    reference = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    email = serializers.CharField()
    ip_address = serializers.CharField(allow_null=True)
    device_fingerprint = serializers.CharField()
    geolocation = serializers.JSONField()
    alerts = AlertSerializer(many=True)
    created_at = serializers.DateTimeField()

    def get_object(self, assessment) -> str:
        return "fraud_assessment"

    def get_recommended_action(self, assessment) -> str:
        return RECOMMENDED[assessment.status]


class ScoreResultSerializer(serializers.Serializer):
    """The seed's response: the assessment and what to do with it."""

    assessment_id = serializers.CharField(source="public_id")
    risk_score = serializers.IntegerField()
    risk_level = serializers.CharField()
    recommended_action = serializers.SerializerMethodField()
    rule_matches = serializers.JSONField()

    def get_recommended_action(self, assessment) -> str:
        return RECOMMENDED[assessment.status]


class ScoreRequestSerializer(StrictSerializer):
    ip_address = serializers.IPAddressField(required=False, allow_blank=True, default="")
    device_fingerprint = serializers.CharField(required=False, allow_blank=True, default="", max_length=128)
    payment_method_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class ReviewSerializer(serializers.Serializer):
    def to_representation(self, instance):
        return review_payload(instance)


class ReviewDecisionSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)


class ReviewQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open", "closed"], required=False, default="open")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
    cursor = serializers.CharField(required=False)


class AssignSerializer(StrictSerializer):
    assignee = serializers.CharField(max_length=150)


class TxLimitsSerializer(serializers.Serializer):
    object = serializers.SerializerMethodField()
    max_amount_per_payment = serializers.IntegerField(allow_null=True)
    daily_amount_limit = serializers.IntegerField(allow_null=True)
    max_payments_per_card_per_day = serializers.IntegerField(allow_null=True)
    max_attempts_per_session = serializers.IntegerField()

    def get_object(self, limits) -> str:
        return "tx_limits"


class TxLimitsUpdateSerializer(StrictSerializer):
    """Integers are checked strictly by the service (1 to 10^15, null removes a limit)."""

    max_amount_per_payment = serializers.JSONField(required=False, allow_null=True)
    daily_amount_limit = serializers.JSONField(required=False, allow_null=True)
    max_payments_per_card_per_day = serializers.JSONField(required=False, allow_null=True)
    max_attempts_per_session = serializers.JSONField(required=False, allow_null=True)
