"""The id of the request being served, for audit rows and anything else that records it.

One function, so the correlation-id middleware (django-guid) is read in one place: where
it is not installed or no request is being served (a beat job), there is no id.
"""


def current_request_id() -> str:
    try:
        from django_guid import get_guid
    except ImportError:  # the middleware is optional for the embedded run
        return ""
    return (get_guid() or "")[:64]
