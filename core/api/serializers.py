from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields, so a typo is a 400 naming it, not a silently ignored key."""

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", None) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: "Unknown field."})
        return attrs


class StrictIntegerField(serializers.IntegerField):
    """An integer as JSON sends it, and nothing else: for amounts (minor units), quantities
    and counts. DRF's IntegerField would turn "15.00" into 15 minor units, and take "2",
    2.0 or true; for money a guessed conversion is worse than a 400 naming the field."""

    default_error_messages = {"not_integer": "Must be a JSON integer (no quotes, no decimal point)."}

    def to_internal_value(self, data):
        # type() and not isinstance(): a bool is an int to Python but not to a merchant.
        if type(data) is not int:
            self.fail("not_integer")
        return super().to_internal_value(data)
