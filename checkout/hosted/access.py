"""Who may open a hosted checkout: whoever holds the session's client token.

The merchant hands the shopper `/pay/<checkout_id>?token=<client token>`. The first visit
trades the token for a grant kept in the shopper's Django session (a cookie) and
redirects to the clean URL, so the token leaves the address bar, the history and any
Referer. Every page and every POST checks the grant; without one the shopper sees a
friendly "link expired or invalid" page (403), never another merchant's data.
"""

import time
from functools import wraps

from django.shortcuts import render
from django.utils import translation

from checkout.hosted.policy import hosted_headers
from checkout.hosted.selectors import hosted_session_get
from checkout.languages import browser_language, shopper_language
from merchants.credentials import client_token_verify

GRANTS_KEY = "hosted_checkout_grants"
# A grant outlives the token that bought it (a shopper back from 3-D Secure, or reading
# the receipt) but not by days; the checkout's own expiry still applies on every page.
GRANT_SECONDS = 6 * 3600
# A browser that opens many checkouts keeps only the latest grants: the cookie session
# must stay small.
MAX_GRANTS = 20


def grant_from_token(request, *, checkout_id: str, token: str, embedded: bool = False) -> bool:
    """Trades a valid, unexpired client token for this checkout into a grant.

    An embedded grant (from the embed token, in the merchant's iframe) makes the pages
    render their frame variant: no store header, and events posted to the parent page.

    The session key is cycled, as at a login, so a session id planted in the browser
    before the grant cannot be used to ride on it.
    """
    verified = client_token_verify(token or "")
    if verified is None:
        return False
    merchant_id, subject = verified
    if subject != checkout_id:
        return False
    now = int(time.time())
    grants = {key: grant for key, grant in request.session.get(GRANTS_KEY, {}).items() if grant.get("until", 0) > now}
    grants[checkout_id] = {"merchant_id": merchant_id, "until": now + GRANT_SECONDS, "embedded": embedded}
    newest = sorted(grants.items(), key=lambda item: item[1]["until"])[-MAX_GRANTS:]
    request.session.cycle_key()
    request.session[GRANTS_KEY] = dict(newest)
    return True


def _grant(request, checkout_id: str) -> dict | None:
    grant = request.session.get(GRANTS_KEY, {}).get(checkout_id)
    if not grant or grant.get("until", 0) <= time.time():
        return None
    return grant


def granted_merchant_id(request, checkout_id: str) -> int | None:
    grant = _grant(request, checkout_id)
    return grant["merchant_id"] if grant else None


def grant_is_embedded(request, checkout_id: str) -> bool:
    grant = _grant(request, checkout_id)
    return bool(grant and grant.get("embedded"))


def grant_drop(request, checkout_id: str) -> None:
    grants = dict(request.session.get(GRANTS_KEY, {}))
    if grants.pop(checkout_id, None) is not None:
        request.session[GRANTS_KEY] = grants


def link_invalid(request):
    with translation.override(browser_language(request)):
        response = render(request, "hosted/link_invalid.html", status=403)
    return hosted_headers(response, session=None)


def hosted_view(view):
    """Wraps a hosted page: checks the grant, loads the session, sets the page headers.

    The view is called as `view(request, session, *args)`.
    """

    @wraps(view)
    def wrapper(request, checkout_id, *args, **kwargs):
        merchant_id = granted_merchant_id(request, checkout_id)
        session = hosted_session_get(merchant_id=merchant_id, checkout_id=checkout_id) if merchant_id else None
        if session is None:
            return link_invalid(request)
        request.hosted_embedded = grant_is_embedded(request, checkout_id)
        # The view renders inside the shopper's language: its templates, forms and emails.
        with translation.override(shopper_language(session, request)):
            response = view(request, session, *args, **kwargs)
        return hosted_headers(response, session=session, embedded=request.hosted_embedded)

    return wrapper
