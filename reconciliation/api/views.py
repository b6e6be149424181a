"""Reconciliation endpoints: parse, call one service, render."""

from datetime import date

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.actors import actor_for
from core.api.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_HEADER, MUTATION_ERROR_RESPONSES
from core.api.views import ApiView
from core.exceptions import ParameterInvalid
from reconciliation import selectors
from reconciliation.api.serializers import (
    LinesQuerySerializer,
    ReportSerializer,
    StatementDetailSerializer,
    StatementLineSerializer,
    StatementSerializer,
    StatementUploadSerializer,
)
from reconciliation.services.imports import statement_import
from reconciliation.tasks import match_statement

TAGS = ["Reconciliation"]


def statement_payload(statement, *, after_position=0, limit=100) -> dict:
    lines, has_more = selectors.statement_lines(statement, after_position=after_position, limit=limit)
    data = StatementSerializer(statement).data
    data.update(
        states=selectors.statement_state_counts(statement),
        lines=StatementLineSerializer(lines, many=True).data,
        has_more=has_more,
    )
    return data


class StatementUploadApi(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="reconciliation_statements_upload",
        tags=TAGS,
        request={"multipart/form-data": StatementUploadSerializer},
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={201: StatementDetailSerializer, 200: StatementDetailSerializer, **MUTATION_ERROR_RESPONSES},
        description=(
            "Imports a bank or processor statement (CSV, MT940 or CAMT.053; detected when `format` is absent) and "
            "matches its lines to payouts, payments and refunds. 201 with the statement and the first lines; 200 "
            "with the earlier import when this exact file was imported before (nothing is imported twice). "
            "400 statement_invalid names what could not be read; 413 statement_too_large."
        ),
    )
    def post(self, request):
        serializer = StatementUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        mapping = data.get("csv_mapping")
        if mapping is not None and not isinstance(mapping, dict):
            raise ParameterInvalid("csv_mapping must be a JSON object.", param="csv_mapping")
        upload = data["file"]
        statement, created = statement_import(
            merchant_id=self.merchant.pk,
            content=upload.read(),
            file_name=upload.name or "",
            format=data.get("format", ""),
            csv_mapping=mapping,
            actor=actor_for(request),
        )
        if created:
            match_statement.delay(self.merchant.pk, statement.pk)
        return Response(statement_payload(statement), status=201 if created else 200)


class StatementDetailApi(ApiView):
    @extend_schema(
        operation_id="reconciliation_statements_retrieve",
        tags=TAGS,
        parameters=[
            OpenApiParameter("lines_after", int, description="Lines after this position (the last one you saw)"),
            OpenApiParameter("limit", int, description="Lines per page, 1 to 1000 (default 100)"),
        ],
        responses={200: StatementDetailSerializer, **ERROR_RESPONSES},
    )
    def get(self, request, statement_id):
        query = LinesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        statement = selectors.statement_get(merchant_id=self.merchant.pk, statement_id=statement_id)
        return Response(
            statement_payload(
                statement, after_position=query.validated_data["lines_after"], limit=query.validated_data["limit"]
            )
        )


def report_payload(day: date, found: dict) -> dict:
    report = found["report"]
    figures = found["figures"]
    return ReportSerializer(
        {
            "object": "reconciliation_report",
            "date": day,
            "final": found["final"],
            "completed_at": report.completed_at if report else None,
            "lines_matched": sum(entry["matched"]["count"] for entry in figures.values()),
            "lines_in_review": sum(entry["in_review"]["count"] for entry in figures.values()),
            "lines_unmatched": sum(entry["unmatched"]["count"] for entry in figures.values()),
            "currencies": [{"currency": currency, **entry} for currency, entry in figures.items()],
        }
    ).data


class ReportDetailApi(ApiView):
    @extend_schema(
        operation_id="reconciliation_reports_retrieve",
        tags=TAGS,
        responses={200: ReportSerializer, **ERROR_RESPONSES},
        description="The day's reconciliation per currency: lines matched, in review and unmatched; payouts "
        "expected and received; the balance-transaction totals; the unexplained difference. `date` is YYYY-MM-DD.",
    )
    def get(self, request, day):
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            raise ParameterInvalid("date must be YYYY-MM-DD.", param="date") from None
        return Response(report_payload(parsed, selectors.report_get(merchant_id=self.merchant.pk, day=parsed)))
