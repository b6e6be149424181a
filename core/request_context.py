"""The id of the request being served, for audit rows and anything else that records it.

One function, so the correlation id is read in one place: core.logs' when the logging
setup provides one (it follows a request into its Celery tasks), else django-guid's
directly; no id outside a request or task (a beat job's own work).
"""


def current_request_id() -> str:
    try:
        from core.logs import current_request_id as logged_request_id
    except ImportError:
        logged_request_id = None
    if logged_request_id is not None:
        return (logged_request_id() or "")[:64]
    try:
        from django_guid import get_guid
    except ImportError:  # the middleware is optional for the embedded run
        return ""
    return (get_guid() or "")[:64]
