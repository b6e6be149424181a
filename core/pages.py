"""The site's own front door: `/` for whoever opens the server's address, and the
/favicon.ico every browser asks for on pages that name no icon (admin, API docs, receipts)."""

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from core.languages import supported_language

FAVICON = "hosted/favicon.ico"


@require_safe
def home(request):
    """What a new visitor expects at the root: what this is, and the two ways in (the API
    reference for developers, the back office for staff). Shoppers never land here: a
    store hands them their checkout link."""
    with translation.override(supported_language(translation.get_language_from_request(request)) or "en"):
        return render(request, "home.html", {"lang": translation.get_language()})


@require_safe
@cache_control(public=True, max_age=60 * 60 * 24)
def favicon(request):
    path = finders.find(FAVICON)
    if not path:
        raise Http404
    return FileResponse(open(path, "rb"), content_type="image/x-icon")
