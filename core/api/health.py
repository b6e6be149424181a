from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from kombu import Connection
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.api.views import ApiView


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # any failure means "down" to a health probe
        return False, exc.__class__.__name__


def _broker_ok() -> tuple[bool, str]:
    try:
        # A fresh connection from the settings, not the app's pool: the probe must see the
        # broker as it is now, not a connection opened before it went down.
        url = settings.CELERY_BROKER_URL
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        with Connection(url, transport_options=options, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, exc.__class__.__name__


class HealthApi(ApiView):
    """Liveness and readiness for load balancers: no credentials needed, no details leaked."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="health",
        tags=["Health"],
        auth=[],
        responses={
            200: inline_serializer(
                name="Health",
                fields={
                    "status": serializers.ChoiceField(["ok", "degraded"]),
                    "checks": serializers.DictField(child=serializers.CharField()),
                },
            ),
            503: inline_serializer(
                name="HealthDown",
                fields={
                    "status": serializers.ChoiceField(["ok", "degraded"]),
                    "checks": serializers.DictField(child=serializers.CharField()),
                },
            ),
        },
    )
    def get(self, request):
        database_ok, database_state = _database_ok()
        broker_ok, broker_state = _broker_ok()
        healthy = database_ok and broker_ok
        return Response(
            {"status": "ok" if healthy else "degraded", "checks": {"database": database_state, "broker": broker_state}},
            status=200 if healthy else 503,
        )
