"""The base view of every API endpoint: idempotent mutations, ETags, the caller's merchant."""

import re

from django.http import HttpResponse
from rest_framework.views import APIView

from core.exceptions import PreconditionFailed
from core.idempotency import idempotency_key_claim, idempotency_key_complete, idempotency_key_release

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The versions this API hands out in ETags: ASCII digits that fit a 64-bit column. Not
# str.isdigit(), which takes "²" and other digits int() refuses, nor thousands of digits.
_ETAG_VERSION = re.compile(r"[0-9]{1,18}")

# `object` of a created resource -> (its id field, its path). Apps register theirs (in
# their api modules), so every 201 names where the new resource lives without each view
# having to remember: {"checkout.session": ("checkout_id", "/v1/checkout/sessions/{}")}.
_CREATED_LOCATIONS: dict[str, tuple[str, str]] = {}


def register_created_location(object_name: str, *, id_field: str, path: str) -> None:
    """`path` has one `{}` for the id, e.g. "/v1/checkout/reservations/{}"."""
    _CREATED_LOCATIONS[object_name] = (id_field, path)


def created_location(data) -> str | None:
    """Where a 201's resource lives: its `links.self`, else its registered path."""
    if not isinstance(data, dict):
        return None
    links = data.get("links")
    if isinstance(links, dict) and isinstance(links.get("self"), str):
        return links["self"]
    registered = _CREATED_LOCATIONS.get(data.get("object"))
    if registered is None:
        return None
    id_field, path = registered
    value = data.get(id_field)
    return path.format(value) if isinstance(value, str) and value else None


class _Replay(Exception):
    def __init__(self, stored):
        self.stored = stored


class ApiView(APIView):
    """Every mutating request honours `Idempotency-Key`.

    The key is claimed after authentication (it is scoped to the merchant) and before the
    handler runs; the rendered response is stored when the handler returns, and replayed
    byte-for-byte for a retry with the same key and body.
    """

    idempotent = True
    _idempotency_record = None

    @property
    def merchant(self):
        return self.request.user

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get("Idempotency-Key")
        if not self.idempotent or key is None or request.method not in MUTATING_METHODS:
            return
        record, stored = idempotency_key_claim(
            merchant_id=request.user.pk,
            key=key,
            method=request.method,
            path=request.get_full_path(),
            body=self.idempotency_body(request),
        )
        if stored is not None:
            raise _Replay(stored)
        self._idempotency_record = record

    def idempotency_body(self, request) -> bytes:
        """What of the body the Idempotency-Key fingerprint covers: all of it, except in
        views whose body carries card data, which return a version without it."""
        return request.body

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = HttpResponse(exc.stored.body, status=exc.stored.status)
            for name, value in exc.stored.headers.items():
                response[name] = value
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def raise_uncaught_exception(self, exc):
        # A crash stores nothing: free the key so the client's retry runs the request anew.
        if self._idempotency_record is not None:
            idempotency_key_release(record=self._idempotency_record)
            self._idempotency_record = None
        super().raise_uncaught_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 201 and "Location" not in response:
            location = created_location(getattr(response, "data", None))
            if location is not None:
                # Set before the response is stored, so a replay carries it too.
                response["Location"] = request.build_absolute_uri(location)
        record = self._idempotency_record
        if record is not None:
            self._idempotency_record = None
            try:
                response.render() if hasattr(response, "render") else None
                idempotency_key_complete(
                    record=record,
                    status=response.status_code,
                    headers={name: value for name, value in response.items()},
                    body=response.content,
                )
            except Exception:
                idempotency_key_release(record=record)
                raise
        return response


def etag_for(version: int) -> str:
    return f'"{version}"'


def if_match_versions(request) -> set[int] | None:
    """The versions an `If-Match` header accepts; None when any version will do.

    The comparison itself belongs to the service, under the row lock, so that a write
    landing between our read and our update is still caught (412).
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    versions = set()
    for tag in header.split(","):
        value = tag.strip().removeprefix("W/").strip('"')
        if not _ETAG_VERSION.fullmatch(value):
            raise PreconditionFailed("If-Match must be an ETag this API returned.", param="If-Match")
        versions.add(int(value))
    return versions
