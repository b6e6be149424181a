"""Metrics and exports: parse, call one service or selector, render."""

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView
from core.exceptions import NotFound
from ledger import selectors
from ledger.api.serializers import (
    DateRangeQuerySerializer,
    ExportCreateSerializer,
    ExportSerializer,
    MetricsSerializer,
)
from ledger.models import Export
from ledger.services import exports as export_services

TAGS = ["Analytics"]
RANGE = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day, inclusive (UTC)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive (UTC)"),
]


class MetricsApi(ApiView):
    @extend_schema(
        operation_id="metrics_get",
        tags=TAGS,
        parameters=RANGE,
        responses={200: MetricsSerializer, **ERROR_RESPONSES},
        description="Checkout KPIs over sessions created in the range, and the rolled-up payment "
        "analytics per day and per payment method (rolled up hourly; amounts in minor units).",
    )
    def get(self, request):
        query = DateRangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        span = {"merchant_id": self.merchant.pk, **query.validated_data}
        return Response(
            {
                "object": "metrics",
                "from": span["date_from"].isoformat(),
                "to": span["date_to"].isoformat(),
                **selectors.checkout_kpis(**span),
                "daily": selectors.analytics_daily(**span),
                "by_payment_method": selectors.analytics_by_method(**span),
            }
        )


def export_public(export: Export, request) -> dict:
    url = expires_at = None
    if export.status == Export.Status.SUCCEEDED:
        token, expires_at = export_services.export_download_token(export)
        url = request.build_absolute_uri(reverse("api:export-download", args=[export.public_id])) + f"?token={token}"
    return {
        "id": export.public_id,
        "object": "export",
        "type": export.type,
        "format": export.format,
        "status": export.status,
        "from": export.date_from.isoformat(),
        "to": export.date_to.isoformat(),
        "row_count": export.row_count,
        "size_bytes": export.size_bytes,
        "download_url": url,
        "download_expires_at": expires_at.isoformat() if expires_at else None,
        "error": export.error or None,
        "created_at": export.created_at.isoformat(),
        "completed_at": export.completed_at.isoformat() if export.completed_at else None,
    }


class ExportCreateApi(ApiView):
    @extend_schema(
        operation_id="exports_create",
        tags=TAGS,
        request=ExportCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={202: ExportSerializer, **MUTATION_ERROR_RESPONSES},
        description="Queues the export; poll GET /exports/{id} until status is succeeded.",
    )
    def post(self, request):
        body = ExportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        export = export_services.export_create(
            merchant_id=self.merchant.pk,
            type=data["type"],
            format=data["format"],
            date_from=data["from"],
            date_to=data["to"],
        )
        location = request.build_absolute_uri(reverse("api:export", args=[export.public_id]))
        return Response(export_public(export, request), status=202, headers={"Location": location})


class ExportDetailApi(ApiView):
    @extend_schema(operation_id="exports_get", tags=TAGS, responses={200: ExportSerializer, **ERROR_RESPONSES})
    def get(self, request, export_id):
        export = export_services.export_get(merchant_id=self.merchant.pk, export_id=export_id)
        return Response(export_public(export, request))


class ExportDownloadApi(ApiView):
    """The signed link is the credential (like a pre-signed storage URL)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    idempotent = False

    @extend_schema(
        operation_id="exports_download",
        tags=TAGS,
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True)],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="A CSV export"),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.BINARY, description="A JSON Lines export"),
            404: ERROR_RESPONSES[404],
        },
    )
    def get(self, request, export_id):
        export = export_services.export_for_token(request.query_params.get("token", ""))
        if export.public_id != export_id:
            raise NotFound("This download link is not valid or has expired.")
        content_type = "text/csv" if export.format == Export.Format.CSV else "application/x-ndjson"
        return FileResponse(
            export_services.export_open(export),
            as_attachment=True,
            filename=f"{export.type}-{export.date_from}-{export.date_to}.{export.format}",
            content_type=content_type,
        )
