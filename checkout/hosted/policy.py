"""Response headers of the hosted pages: caching and the per-merchant parts of the CSP.

The site-wide Content-Security-Policy (config/settings.py) allows only our own origin.
A hosted page drops its 'unsafe-inline' for styles (ours has none), and widens it for
one merchant only, where the page needs it:
- form-action: the merchant's success/error URL origins. Chromium applies form-action
  to the redirects that follow a form post, so "Return to store" (a POST answered with a
  303 to the merchant's site) is blocked without them.
- img-src: the origins of the cart lines' product images, which the merchant hosts.
- script-src, connect-src, frame-src: Stripe.js for Stripe merchants (card entry in
  Stripe's Element): the origin of settings.STRIPE_JS_URL; with Stripe's own library
  also its API and 3-D Secure frames, as Stripe's CSP guide lists them. A replacement
  (localstripe in the tests) talks to its own origin only.
- frame-ancestors: `extra_settings["hosted_frame_ancestors"]` (a list of origins) lets a
  merchant embed the pages; by default nobody may frame them (CSP 'none' plus Django's
  X-Frame-Options DENY). Embedding across sites also needs the session and CSRF cookies
  to reach the frame: EmbeddedCookiesMiddleware marks them SameSite=None; Secure for the
  embedded pages (over HTTPS; a plain-HTTP local run keeps Lax, which same-site frames,
  another port of the same host included, still send).
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from checkout.models import CheckoutSession

# Only plain scheme://host[:port] origins reach the header: a crafted URL cannot smuggle
# a `;` or a keyword into the policy.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
FRAME_ANCESTORS_SETTING = "hosted_frame_ancestors"


def url_origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    return origin if _ORIGIN.match(origin) else None


def _origins(urls) -> list[str]:
    return sorted({origin for origin in map(url_origin, urls) if origin})


def return_origins(session: CheckoutSession) -> list[str]:
    return _origins([session.success_url, session.error_url])


def frame_ancestors(session: CheckoutSession) -> list[str]:
    configured = (session.merchant.extra_settings or {}).get(FRAME_ANCESTORS_SETTING) or []
    return _origins(configured if isinstance(configured, list) else [])


STRIPE_JS_ORIGIN = "https://js.stripe.com"


def stripe_js_sources() -> dict[str, list[str]]:
    """The CSP additions Stripe.js needs on a Stripe merchant's pages."""
    origin = url_origin(settings.STRIPE_JS_URL)
    if origin is None:
        return {}
    if origin == STRIPE_JS_ORIGIN:
        return {
            "script-src": ["'self'", origin],
            "connect-src": ["'self'", "https://api.stripe.com"],
            "frame-src": [origin, "https://hooks.stripe.com"],
        }
    return {"script-src": ["'self'", origin], "connect-src": ["'self'", origin], "frame-src": [origin]}


def hosted_headers(response, *, session: CheckoutSession | None, embedded: bool = False):
    """No caching (personal data; the back button must not replay a paid page), and the
    session's CSP additions, set where django-csp's own decorators set them."""
    add_never_cache_headers(response)
    # The language follows the session or the browser's Accept-Language.
    patch_vary_headers(response, ["Accept-Language"])
    # Our pages carry no inline style at all, so they need no 'unsafe-inline'.
    replace = {"style-src": ["'self'"]}
    response._csp_replace = replace
    if session is None:
        return response
    update = {}
    if origins := return_origins(session):
        update["form-action"] = origins
    if images := _origins(line.image_url for line in session.lines.all()):
        update["img-src"] = images
    if session.merchant.gateway == "stripe":
        update.update(stripe_js_sources())
    if update:
        response._csp_update = update
    if ancestors := frame_ancestors(session):
        replace["frame-ancestors"] = ancestors
        response.xframe_options_exempt = True
    return response


class EmbeddedCookiesMiddleware:
    """Lets the session and CSRF cookies reach a hosted page framed by another site.

    Placed before SessionMiddleware, so it sees the cookies that one set. Only responses
    of an embedded checkout (request.hosted_embedded, set by access.hosted_view) and only
    over HTTPS: browsers drop SameSite=None cookies that are not Secure."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "hosted_embedded", False) and request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["samesite"] = "None"
                    response.cookies[name]["secure"] = True
        return response
