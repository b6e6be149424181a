"""OpenAPI pieces every endpoint shares: the error envelope and its common responses."""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer


class StrictSerializerSchema(OpenApiSerializerExtension):
    """A StrictSerializer refuses unknown fields (400), so its request body says
    `additionalProperties: false`: a client generated from the schema then never sends one."""

    target_class = "core.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


ErrorBody = inline_serializer(
    name="ErrorBody",
    fields={
        "type": serializers.CharField(
            help_text="invalid_request_error, card_error, api_error, idempotency_error, authentication_error"
        ),
        "code": serializers.CharField(help_text="Stable machine code, e.g. invalid_state_transition"),
        "message": serializers.CharField(),
        "param": serializers.CharField(allow_null=True),
        "explain": serializers.JSONField(
            allow_null=True,
            help_text="Guidance for the frontend: a sentence, or for card errors and fraud_block an object "
            "({reason, decline_code, shopper_message, retryable, next_step})",
        ),
    },
)

ErrorEnvelope = inline_serializer(name="ErrorEnvelope", fields={"error": ErrorBody})


def _error(description, code, message, status_type="invalid_request_error", param=None):
    return OpenApiResponse(
        response=ErrorEnvelope,
        description=description,
        examples=[
            OpenApiExample(
                code,
                value={
                    "error": {"type": status_type, "code": code, "message": message, "param": param, "explain": None}
                },
            )
        ],
    )


ERROR_RESPONSES = {
    400: _error("Invalid parameters", "parameter_invalid", "This field is required.", param="currency"),
    401: _error(
        "Missing or invalid credentials",
        "not_authenticated",
        "Authentication credentials were not provided.",
        "authentication_error",
    ),
    404: _error("No such object for this merchant", "resource_missing", "No such object."),
}

MUTATION_ERROR_RESPONSES = {
    **ERROR_RESPONSES,
    409: _error(
        "Illegal state transition, or the Idempotency-Key is still in use",
        "invalid_state_transition",
        "The object is not in a state that allows this action.",
    ),
    422: _error(
        "Idempotency-Key reused with a different request",
        "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request.",
        "idempotency_error",
    ),
}

PRECONDITION_FAILED_RESPONSE = _error(
    "The If-Match ETag is stale or not one this API returned",
    "precondition_failed",
    "The object changed since you read it; fetch it again and retry.",
)

_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_REFUSALS = {
    # The request guard (core.api.guard) and the JSON parser can refuse any request: a NUL
    # byte in a header or the query, a body nested too deep or too large.
    "400": "Invalid parameters, or a malformed request (a NUL byte, JSON nested too deeply)",
    "412": "The If-Match ETag is stale or not one this API returned",
    "413": "The request body is larger than this API accepts",
    "414": "The request URL is longer than this API accepts",
    "404": "No such object for this merchant (another merchant's is not found either)",
    "409": "The Idempotency-Key is still in use by its first request",
    "422": "The Idempotency-Key was already used with a different request",
}


def document_request_refusals(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the 400 and 414 the
    request layer may answer; those with an id in the path, the 404; those taking a body,
    the 413; those reading If-Match, the 412; those taking an Idempotency-Key, its 409 and
    422. Done here once, so no endpoint can forget an answer it can give."""
    for path, path_item in result.get("paths", {}).items():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = ["400", "414"]
            if "{" in path:
                # An id that names nothing (or a path id that leaves the route) is a 404.
                statuses.append("404")
            if "requestBody" in operation:
                statuses.append("413")
            headers = {
                parameter.get("name", "").lower()
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "header"
            }
            if "if-match" in headers:
                statuses.append("412")
            if "idempotency-key" in headers:
                # core.api.views.ApiView: the key still in use (409) or reused with another body (422).
                statuses += ["409", "422"]
            for status in statuses:
                operation["responses"].setdefault(
                    status,
                    {"content": {"application/json": {"schema": _ENVELOPE_REF}}, "description": _REFUSALS[status]},
                )
    return result


IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID): a retry with the same key replays the first response.",
)

IF_MATCH_HEADER = OpenApiParameter(
    name="If-Match",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag you last read; a stale one answers 412.",
)

RATE_LIMITED_RESPONSE = {
    429: _error(
        "Too many requests (card-testing protection); retry after the Retry-After header's seconds",
        "throttled",
        "Request was throttled. Expected available in 60 seconds.",
        "rate_limit_error",
    )
}

CODE_GUESSING_LIMITED_RESPONSE = {
    429: _error(
        "Too many wrong gift card codes from this key, client IP or session; retry after the Retry-After header's "
        "seconds",
        "too_many_attempts",
        "Too many wrong gift card codes; wait a few minutes and try again.",
        "rate_limit_error",
    )
}


class _OpenApiJsonFormatRenderer(OpenApiJsonRenderer):
    format = "openapi-json"


class _OpenApiYamlFormatRenderer(OpenApiYamlRenderer):
    format = "openapi"


class SchemaApi(SpectacularAPIView):
    """The schema at /v1/schema/: YAML by default, JSON for `?format=json` or
    `?format=openapi-json` (the names tools ask for); an error is JSON in the envelope,
    never rendered as a YAML document."""

    renderer_classes = [*SpectacularAPIView.renderer_classes, _OpenApiJsonFormatRenderer, _OpenApiYamlFormatRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
