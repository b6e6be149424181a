"""The one exception handler: every error leaves the API in the same envelope."""

import logging

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django_fsm import TransitionNotAllowed
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from core.exceptions import DomainError

logger = logging.getLogger(__name__)


def envelope(*, error_type, code, message, param=None, explain=None, **extra):
    body = {"type": error_type, "code": code, "message": message, "param": param, "explain": explain}
    body.update(extra)
    return {"error": body}


def _join(prefix, key):
    if key == "non_field_errors":
        return prefix
    if isinstance(key, int):  # list serializers report item errors keyed by index
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def _first_validation_error(detail, prefix=""):
    """Walk DRF's nested validation detail to the first leaf: (dotted param, message)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if value:
                return _first_validation_error(value, _join(prefix, key))
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)) and value:
                nested_prefix = f"{prefix}[{index}]" if isinstance(value, dict) else prefix
                return _first_validation_error(value, nested_prefix)
            if not isinstance(value, (dict, list)):
                return prefix or None, str(value)
    return prefix or None, str(detail)


def _validation_errors(detail, prefix=""):
    errors = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            param = _join(prefix, key)
            errors.extend(_validation_errors(value, param))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict):
                errors.extend(_validation_errors(value, f"{prefix}[{index}]"))
            elif isinstance(value, list):
                errors.extend(_validation_errors(value, prefix))
            else:
                errors.append({"param": prefix or None, "message": str(value)})
    else:
        errors.append({"param": prefix or None, "message": str(detail)})
    return errors


def exception_handler(exc, context):
    headers = {}
    if isinstance(exc, DomainError):
        body = envelope(
            error_type=exc.error_type,
            code=exc.code,
            message=exc.message,
            param=exc.param,
            explain=exc.explain,
            **exc.extra,
        )
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return Response(body, status=exc.status_code, headers=headers)

    if isinstance(exc, TransitionNotAllowed):
        # A service should have checked first; this is the safety net for the FSM itself.
        return Response(
            envelope(
                error_type="invalid_request_error",
                code="invalid_state_transition",
                message="The object is not in a state that allows this action.",
                explain=str(exc),
            ),
            status=409,
        )

    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        # A body without a Content-Length gets past the guard middleware and fails here.
        return Response(
            envelope(
                error_type="invalid_request_error",
                code="request_too_large",
                message="The request body is larger than this API accepts.",
            ),
            status=413,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(
            envelope(error_type="invalid_request_error", code="bad_request", message="The request is malformed."),
            status=400,
        )

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    if isinstance(exc, drf_exceptions.ValidationError):
        param, message = _first_validation_error(exc.detail)
        return Response(
            envelope(
                error_type="invalid_request_error",
                code="parameter_invalid",
                message=message,
                param=param,
                errors=_validation_errors(exc.detail),
            ),
            status=400,
        )

    if isinstance(exc, drf_exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        error_type = {
            401: "authentication_error",
            403: "permission_error",
            429: "rate_limit_error",
        }.get(exc.status_code, "invalid_request_error")
        code = {
            404: "resource_missing",
            405: "method_not_allowed",
            415: "unsupported_media_type",
        }.get(exc.status_code, exc.default_code)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return Response(
            envelope(error_type=error_type, code=code, message=detail),
            status=exc.status_code,
            headers=headers,
        )
    return None


API_PREFIX = "/v1/"


@csrf_exempt  # an API client has no CSRF cookie; this view only ever answers 404
def api_not_found(request, exception=None):
    """handler404: the envelope for API paths, Django's page everywhere else."""
    if request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/"):
        body = envelope(
            error_type="invalid_request_error",
            code="resource_missing",
            message=f"Unrecognized request URL ({request.method}: {request.path}).",
            explain="API paths have no trailing slash, except /v1/oauth/token/ and the docs",
        )
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def api_server_error(request):
    """handler500: an envelope for API clients; the details go to the log, never the client."""
    if request.path.startswith(API_PREFIX):
        body = envelope(error_type="api_error", code="internal_error", message="Something went wrong on our side.")
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
