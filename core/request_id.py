"""One request id from the API call to the merchant's webhook.

django-guid keeps the id in a context variable for the request; this module decides what
counts as a usable incoming `X-Request-ID`, and carries the id where django-guid's own
Celery integration cannot: into eagerly run tasks (its prerun hook would replace the
request's id and its postrun hook clear it mid-request) and onto events stored for later
delivery. Everything else reads it through `core.logs.current_request_id()`.
"""

import re
import uuid
from contextlib import contextmanager

from celery.signals import before_task_publish, task_postrun, task_prerun
from django_guid.context import guid as _guid_var
from django_guid.middleware import guid_middleware

from core.logs import current_request_id

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# A caller's id is kept when it could not smuggle anything into a log line or a header we
# send on: letters, digits and a few separators, at most 128 characters (a UUID, Stripe's
# `req_…`, a load balancer's trace id). Anything else is replaced by a fresh id.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
# Where a task remembers the id it ran under before, to restore it afterwards.
_TOKEN_ATTR = "_request_id_token"


def is_sane(value: str | None) -> bool:
    return bool(value) and _SANE.fullmatch(value) is not None


def new_request_id() -> str:
    # The shape django-guid generates for a request without a usable header.
    return uuid.uuid4().hex


@contextmanager
def bound_request_id(value: str | None):
    """Serves the block under `value` (a stored event's id when it is delivered later),
    then puts back whatever id was current."""
    token = _guid_var.set(value or current_request_id() or new_request_id())
    try:
        yield
    finally:
        _guid_var.reset(token)


def request_id_middleware(get_response):
    """django-guid's middleware with our rule for a sane caller id; first in MIDDLEWARE so
    even a request refused at the door answers its id."""
    inner = guid_middleware(get_response)

    def middleware(request):
        given = request.META.get(_META_KEY)
        if given is not None and not is_sane(given):
            del request.META[_META_KEY]
            request.__dict__.pop("headers", None)  # a cached view of META would still hold it
        try:
            return inner(request)
        finally:
            # Threads are reused (runserver, gunicorn threads): the next request starts blank.
            _guid_var.set(None)

    return middleware


# --- Celery ------------------------------------------------------------------------------
def _on_publish(headers=None, **kwargs):
    if headers is not None and (value := current_request_id()):
        headers[HEADER] = value


def _on_prerun(task=None, **kwargs):
    """A worker adopts the id the task was published with; an eager task (run inside the
    request) keeps the request's; a scheduled task gets its own."""
    if task is None:
        return
    given = task.request.get(HEADER)
    if not is_sane(given):
        headers = task.request.get("headers") or {}
        given = headers.get(HEADER) if isinstance(headers, dict) else None
    value = given if is_sane(given) else current_request_id() or new_request_id()
    setattr(task.request, _TOKEN_ATTR, _guid_var.set(value))


def _on_postrun(task=None, **kwargs):
    token = getattr(task.request, _TOKEN_ATTR, None) if task is not None else None
    if token is None:
        return
    try:
        _guid_var.reset(token)
    except ValueError:  # set in another context (should not happen): leave no id behind
        _guid_var.set(None)
    setattr(task.request, _TOKEN_ATTR, None)


def connect_signals() -> None:
    """Called once from CoreConfig.ready()."""
    before_task_publish.connect(_on_publish, weak=False, dispatch_uid="core.request_id.publish")
    task_prerun.connect(_on_prerun, weak=False, dispatch_uid="core.request_id.prerun")
    task_postrun.connect(_on_postrun, weak=False, dispatch_uid="core.request_id.postrun")
