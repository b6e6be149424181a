"""Cursor pagination: `limit` + opaque `cursor`, answers {data, has_more, next_cursor}."""

from urllib.parse import parse_qs, urlparse

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

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise DomainError(
                "The cursor is not one this list handed out.", code="cursor_invalid", param="cursor"
            ) from None

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
