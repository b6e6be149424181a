from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.api.views import ApiView
from core.health import health_checks_run

HEALTH_DESCRIPTION = (
    "Each subsystem's state: `ok`, or one word for what is wrong. `database`, `broker`, `worker` "
    "(a heartbeat the Celery worker writes every 30 s), `beat` (the scheduler's last tick), "
    "`webhooks` (deliveries overdue), `gateway.<name>` (each configured payment gateway reached) "
    "and `hosted_pages` (a hosted page renders). 503 when any is not ok."
)


def _health_serializer(name):
    return inline_serializer(
        name=name,
        fields={
            "status": serializers.ChoiceField(["ok", "degraded"]),
            "checks": serializers.DictField(child=serializers.CharField()),
        },
    )


class HealthApi(ApiView):
    """Liveness and readiness for load balancers: no credentials needed, no details leaked."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="health",
        tags=["Health"],
        auth=[],
        description=HEALTH_DESCRIPTION,
        responses={200: _health_serializer("Health"), 503: _health_serializer("HealthDown")},
    )
    def get(self, request):
        results = health_checks_run()
        healthy = all(ok for ok, _ in results.values())
        checks = {name: state for name, (_, state) in results.items()}
        return Response({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
