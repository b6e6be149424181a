from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields, so a typo is a 400 naming it, not a silently ignored key."""

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", None) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: "Unknown field."})
        return attrs
