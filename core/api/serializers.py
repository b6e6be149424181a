from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields, so a typo is a 400 naming it, not a silently ignored key."""

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", None) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: "Unknown field."})
        return attrs


class OptionalEmailField(serializers.EmailField):
    """An email address the object may not have yet: answered as null, never as "",
    which no `format: email` validator accepts."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None
