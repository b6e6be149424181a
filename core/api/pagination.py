"""Cursor pagination: `limit` + opaque `cursor`, answers {data, has_more, next_cursor}."""

from urllib.parse import parse_qs, urlparse

from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from core.exceptions import DomainError


class CursorPage(CursorPagination):
    page_size = 20
    max_page_size = 100
    page_size_query_param = "limit"
    cursor_query_param = "cursor"
    ordering = ("-created_at", "-id")

    _model = None

    def paginate_queryset(self, queryset, request, view=None):
        self._model = getattr(queryset, "model", None)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None:
            self._position_check(cursor.position)
        return cursor

    def _invalid(self):
        return DomainError("The cursor is not one this list handed out.", code="cursor_invalid", param="cursor")

    def _position_check(self, position: str):
        """A cursor is client input: its position must be a value of the ordering field,
        or the database raises on `created_at < 'garbage'` (a 500, not a 400)."""
        if self._model is None:
            return
        name = self.ordering[0].lstrip("-") if isinstance(self.ordering, (list, tuple)) else self.ordering.lstrip("-")
        try:
            field = self._model._meta.get_field(name)
        except FieldDoesNotExist:
            return
        if "\x00" in position:
            raise self._invalid()
        try:
            value = field.to_python(position)
            field.run_validators(value)  # integer fields: the column's range
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise self._invalid() from None

    def _cursor_token(self, url):
        if not url:
            return None
        return parse_qs(urlparse(url).query).get(self.cursor_query_param, [None])[0]

    def get_paginated_response(self, data):
        next_cursor = self._cursor_token(self.get_next_link())
        return Response(
            {
                "object": "list",
                "data": data,
                "has_more": next_cursor is not None,
                "next_cursor": next_cursor,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["object", "data", "has_more", "next_cursor"],
            "properties": {
                "object": {"type": "string", "example": "list"},
                "data": schema,
                "has_more": {"type": "boolean"},
                "next_cursor": {"type": "string", "nullable": True},
            },
        }


_PAGE_SERIALIZERS: dict[type, type] = {}


def paginated(item_serializer: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The response shape of a CursorPage list of `item_serializer`, for `@extend_schema`.

    Every list answers `{object, data, has_more, next_cursor}`; documenting `X(many=True)`
    instead would promise a bare array. One class per item serializer, so the schema has
    one `Paginated<Item>List` component per list, named after its item."""
    page = _PAGE_SERIALIZERS.get(item_serializer)
    if page is None:
        item_name = item_serializer.__name__.removesuffix("Serializer")
        page = type(
            f"Paginated{item_name}ListSerializer",
            (serializers.Serializer,),
            {
                "__module__": __name__,
                "__doc__": f"A page of {item_name} objects, newest first unless the list says otherwise.",
                "object": serializers.ChoiceField(["list"]),
                "data": item_serializer(many=True),
                "has_more": serializers.BooleanField(),
                "next_cursor": serializers.CharField(
                    allow_null=True, help_text="Pass as `cursor` for the next page; null on the last one."
                ),
            },
        )
        _PAGE_SERIALIZERS[item_serializer] = page
    return page
