"""Which language a shopper reads: the hosted pages and their emails ship in the
languages of settings.LANGUAGES (English and German)."""

from django.utils import translation

from core.languages import locale_language
from core.languages import supported_language as _supported

__all__ = ["browser_language", "locale_language", "shopper_language"]

DEFAULT_SESSION_LOCALE = "en_US"


def browser_language(request) -> str:
    return _supported(translation.get_language_from_request(request)) or "en"


def shopper_language(session, request=None) -> str:
    """The session's locale when the merchant chose one; else the browser's
    Accept-Language, when we ship it; else English.

    A session created without a locale holds the default (en_US), so en_US alone
    does not outvote the shopper's browser."""
    chosen = _supported(session.locale) if session.locale != DEFAULT_SESSION_LOCALE else None
    if chosen:
        return chosen
    if request is not None and request.headers.get("Accept-Language"):
        return browser_language(request)
    return locale_language(session.locale)
