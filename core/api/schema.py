"""OpenAPI pieces every endpoint shares: the error envelope and its common responses."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

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
