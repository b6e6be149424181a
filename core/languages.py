"""The languages the shopper-facing pages and emails ship in (settings.LANGUAGES), for
every app that writes to a shopper: a stored locale or a browser's tag to one of them."""

from django.conf import settings


def supported_language(tag: str) -> str | None:
    """The language of a tag ("de_DE", "de-AT", "de" → "de"), None when we don't ship it."""
    language = (tag or "").replace("_", "-").split("-", 1)[0].lower()
    return language if language in {code for code, _ in settings.LANGUAGES} else None


def locale_language(locale: str) -> str:
    """The language for a stored locale ("de_DE" → "de"), English when it is not shipped."""
    return supported_language(locale) or "en"
