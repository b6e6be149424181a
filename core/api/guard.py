"""The layer every request crosses before routing: characters no field may hold, and
bodies too large to read, are refused here once for the whole site.

PostgreSQL cannot store a NUL byte in text, and a lone UTF-16 surrogate cannot be
encoded to UTF-8 at all: either one reaching a query or a save is a 500. Refusing them at
the door, in the path, the query string, the headers and form bodies (JSON bodies are
checked by core.api.parsers), means no endpoint has to remember to.
"""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse

from core.api.errors import API_PREFIX, envelope
from core.exceptions import DomainError, ParameterInvalid, RequestTooLarge, UriTooLong

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REST_API_PREFIX = "/v1/checkout/"
# For the API: no id or filter comes near it, and the idempotency record keeps the path
# in a column of 2048. (gunicorn's own request-line limit is 4094 bytes.)
MAX_URL_LENGTH = 2048
TOO_LARGE = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def unstorable(value) -> bool:
    """True for text PostgreSQL cannot hold: a NUL byte or a lone surrogate."""
    return isinstance(value, str) and _UNSTORABLE.search(value) is not None


def _refuse_text(value, param):
    if unstorable(value):
        raise ParameterInvalid("A NUL byte or an unpaired surrogate is not allowed here.", param=param)


def _header_name(meta_key: str) -> str:
    return meta_key.removeprefix("HTTP_").replace("_", "-").title()


def _content_length(request) -> int:
    value = request.META.get("CONTENT_LENGTH") or "0"
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0


def _reads_forms(path: str, content_type: str) -> bool:
    """Form bodies are checked here for the views that read them (the OAuth token
    endpoint, hosted pages, admin). The REST API parses JSON only, with core.api.parsers,
    and must keep its raw body readable for idempotency fingerprints, which reading a
    multipart body here would consume."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return True  # parsed from request.body, which stays readable afterwards
    return content_type.startswith("multipart/form-data") and not path.startswith(REST_API_PREFIX)


def request_check(request) -> None:
    """Raises ParameterInvalid or RequestTooLarge for input no view should ever see."""
    _refuse_text(request.path_info, "path")
    if request.path_info.startswith(API_PREFIX) and len(request.get_full_path()) > MAX_URL_LENGTH:
        raise UriTooLong()
    content_type = request.META.get("CONTENT_TYPE", "")
    # Multipart uploads (admin) stream their files past the memory limit on purpose.
    if not content_type.startswith("multipart/") and _content_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise RequestTooLarge()
    for name, value in request.META.items():
        if name.startswith("HTTP_") or name == "CONTENT_TYPE":
            _refuse_text(value, _header_name(name))
    try:
        for key, values in request.GET.lists():
            _refuse_text(key, key[:40])
            for value in values:
                _refuse_text(value, key)
        if request.method == "POST" and _reads_forms(request.path_info, content_type):
            for key, values in request.POST.lists():
                _refuse_text(key, key[:40])
                for value in values:
                    _refuse_text(value, key)
    except TOO_LARGE:
        raise RequestTooLarge() from None


def error_response(request, error: DomainError):
    """The envelope under the API; a short plain page for the shopper-facing ones."""
    if request.path_info.startswith(API_PREFIX):
        body = envelope(error_type=error.error_type, code=error.code, message=error.message, param=error.param)
        return JsonResponse(body, status=error.status_code)
    return HttpResponse(error.message, status=error.status_code, content_type="text/plain; charset=utf-8")


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request_check(request)
        except DomainError as error:
            return error_response(request, error)
        return self.get_response(request)

    def process_exception(self, request, exception):
        # Views outside DRF (the OAuth token endpoint, hosted pages) read bodies themselves.
        if isinstance(exception, TOO_LARGE):
            return error_response(request, RequestTooLarge())
        return None
