"""GET /health's view of the hosted pages: the page templates load and render."""

from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory

# The page every broken link lands on: it extends the hosted base layout and its blocks,
# so it fails as soon as the layout, a tag library or the template loader does.
PROBE_TEMPLATE = "hosted/link_invalid.html"


def hosted_pages_ok() -> tuple[bool, str]:
    request = RequestFactory().get("/pay/health")
    html = render_to_string(PROBE_TEMPLATE, {}, request=request)
    healthy = "</html>" in html
    return healthy, "ok" if healthy else "incomplete"


def hosted_pages_available(merchant) -> bool:
    """GET /capabilities: hosted links can be handed out (the platform knows its public
    address) and the merchant's gateway can take the card on them."""
    from merchants.gateways import gateway_is_configured

    # Stripe merchants' cards are entered in Stripe.js, which needs the publishable key.
    stripe_js_ready = merchant.gateway != "stripe" or bool(settings.STRIPE_PUBLISHABLE_KEY)
    return bool(settings.PUBLIC_BASE_URL) and gateway_is_configured(merchant.gateway) and stripe_js_ready
