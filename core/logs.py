"""Every log line: structured (JSON in production, a readable line locally), carrying the
request id, and scrubbed of card data and secrets whatever the caller passed.

Both stdlib `logging` records and `structlog` loggers end in the one formatter built by
`formatter()`, so the request id and the scrubbing cannot be forgotten by a module.
Other apps read the request id through `current_request_id()`.
"""

import logging
import re

import structlog
from django_guid.context import guid as _request_id_var

REDACTED = "[redacted]"

# Keys whose value is a secret whatever it looks like.
_SECRET_KEY = re.compile(
    r"secret|token|passw|authori[sz]ation|api[_-]?key|cookie|signature|cvc|cvv|card_?number|^pan$|^number$",
    re.IGNORECASE,
)
# Secrets recognizable in free text (a message, an exception, a URL).
_SECRET_TEXT = [
    # A whole key; its 8-character lookup prefix (`sk_test_hB57die4`, an actor's name) stays.
    re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"),
    re.compile(r"\b\w+_secret_[A-Za-z0-9]+"),  # payment intents' client secrets
    re.compile(r"(?i)\bbearer\s+[^\s,;\"']+"),
    re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/=]{8,}"),
    re.compile(
        r"(?i)\b(access_token|refresh_token|client_secret|token|secret|password|cvc|cvv)"
        r"(\"?\s*[:=]\s*\"?)[^\s&,;\"'}]+"
    ),
]
# 12 to 19 digits, optionally grouped by spaces or dashes: checked with Luhn before redacting.
# Not the fraction of a decimal number (a task's runtime, 0.0531340560000899 s).
_DIGIT_RUN = re.compile(r"(?<![\d.,-])\d(?:[ -]?\d){11,18}(?![\d-]|[.,]\d)")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_to_mask(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if 12 <= len(digits) <= 19 and _luhn(digits) else match.group()


def scrub_text(text: str) -> str:
    for pattern in _SECRET_TEXT:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return _DIGIT_RUN.sub(_card_to_mask, text)


def scrub(value, *, depth: int = 0):
    """Returns `value` with secrets replaced, recursing into dicts and lists (bounded)."""
    if depth > 8:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and _SECRET_KEY.search(key) else scrub(item, depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple, set)):
        return [scrub(item, depth=depth + 1) for item in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return scrub_text(str(value))


def current_request_id() -> str:
    """The id of the request or task being served (django-guid's); "" outside both."""
    return _request_id_var.get() or ""


# --- structlog processors ---------------------------------------------------------------
def add_request_id(logger, method_name, event_dict):
    request_id = current_request_id()
    if request_id:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def scrub_event(logger, method_name, event_dict):
    return {
        key: value if key in _KEPT else REDACTED if _SECRET_KEY.search(key) else scrub(value)
        for key, value in event_dict.items()
    }


# Fields structlog itself adds: nothing a caller controls.
_KEPT = frozenset({"timestamp", "level", "logger", "request_id"})

_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_request_id,
]


def formatter(*, json: bool = True) -> structlog.stdlib.ProcessorFormatter:
    """The one formatter of LOGGING: JSON objects, or readable lines (json=False)."""
    renderer = (
        structlog.processors.JSONRenderer(default=str)
        if json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_PRE_CHAIN,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            scrub_event,
            renderer,
        ],
    )


def configure_structlog() -> None:
    """structlog loggers hand their events to stdlib logging, hence to `formatter()`."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_PRE_CHAIN,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class DropRequestBodies(logging.Filter):
    """Drops the Stripe SDK's "Post details" record: at DEBUG it logs every request's
    encoded parameters, which for a tokenize call are the card number and CVC."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Post details" not in str(record.msg)
