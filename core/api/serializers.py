from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields, so a typo is a 400 naming it, not a silently ignored key."""

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", None) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({unknown[0]: "Unknown field."})
        return attrs


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
