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


class OptionalEmailField(serializers.EmailField):
    """An email address the object may not have yet: answered as null, never as "",
    which no `format: email` validator accepts."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


# The API document spells capture modes `auto|manual`; the first integrations were given
# `automatic`. Both are accepted, storage keeps `automatic` (payments and merchant rows
# already hold it), and every answer uses the document's spelling.
CAPTURE_MODE_INPUT = {"auto": "automatic", "automatic": "automatic", "manual": "manual"}
CAPTURE_MODE_OUTPUT = {"automatic": "auto", "auto": "auto", "manual": "manual"}
CAPTURE_MODE_CHOICES = [("auto", "auto"), ("manual", "manual"), ("automatic", "automatic")]


def capture_mode_public(stored: str | None) -> str | None:
    """The canonical (document) spelling of a stored capture mode: `auto` or `manual`."""
    if not stored:
        return stored
    return CAPTURE_MODE_OUTPUT.get(stored, stored)


class CaptureModeField(serializers.ChoiceField):
    """`auto` | `manual` (`automatic` kept as an alias of `auto`); answers `auto` | `manual`.

    validated_data holds the stored spelling (`automatic` | `manual`).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "auto | manual (`automatic` is accepted as an alias of auto)")
        super().__init__(choices=CAPTURE_MODE_CHOICES, **kwargs)

    def to_internal_value(self, data):
        return CAPTURE_MODE_INPUT[super().to_internal_value(data)]

    def to_representation(self, value):
        return capture_mode_public(value)
