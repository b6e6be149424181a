"""The one JSON parser of the API: bounded nesting, and only text PostgreSQL can store."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.api.guard import unstorable
from core.exceptions import ParameterInvalid

# Deeper than any document the API takes (metadata and settings are a few levels), far
# shallower than the interpreter's recursion limit, which the decoder would hit first.
MAX_DEPTH = 32


def _join(prefix: str, key) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def json_check(data) -> None:
    """Raises ParseError past MAX_DEPTH, ParameterInvalid on a NUL or lone surrogate,
    naming the field (`metadata.k`, `extra_settings.fees[0].name`)."""
    stack = [(data, "", 1)]
    while stack:  # bounded: each value of the parsed document is visited once
        value, param, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        if isinstance(value, str):
            if unstorable(value):
                raise ParameterInvalid("A NUL byte or an unpaired surrogate is not allowed here.", param=param or None)
        elif isinstance(value, dict):
            for key, item in value.items():
                if unstorable(key):
                    raise ParameterInvalid(
                        "A NUL byte or an unpaired surrogate is not allowed in a key.", param=param or None
                    )
                stack.append((item, _join(param, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, _join(param, index), depth + 1) for index, item in enumerate(value))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        json_check(data)
        return data
