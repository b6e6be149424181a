"""One spelling of a timestamp across the API: the one DRF's DateTimeField gives the
serializers (ISO 8601, UTC written `Z`). Payloads built by hand (gateway instructions,
dicts a service answers) use this instead of `isoformat()`, which writes `+00:00`."""

from datetime import datetime

from rest_framework.fields import DateTimeField

_FIELD = DateTimeField()


def api_timestamp(value: datetime | None) -> str | None:
    return None if value is None else _FIELD.to_representation(value)
