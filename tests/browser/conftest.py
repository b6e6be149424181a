"""Headless Chromium (Debian's, via Playwright) against a live server on 127.0.0.1.

Every request the browser makes is recorded: a page that reaches anything but our own
server and the merchant's shop (another loopback port) fails its test.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import MerchantClient
from tests.factories import merchant_with_keys
from tests.hosted.helpers import shop_setup

# Playwright's sync API keeps an event loop in this thread, which makes Django's ORM
# refuse to run here; the test thread only reads and calls services between page actions.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# pytest-django's live server would listen on "localhost"; keep to IPv4 loopback.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).with_name("artifacts")
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
# Long enough for a page load on a slow CI machine, short enough to fail fast.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def hosted_server(live_server, settings):
    """The live server, with the links we hand out (hosted pages, 3-D Secure) pointing at it."""
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def shop(hosted_server, httpserver_ipv4):
    """A merchant with rates and tax, and its shop: a thank-you and an error page on a
    second loopback port, so the way back is a real cross-origin redirect."""
    api = MerchantClient(merchant_with_keys("Northwind Goods"))
    api.rates = shop_setup(api.merchant)
    for path, title in (("/thanks", "Back at Northwind: thank you!"), ("/oops", "Back at Northwind: no order")):
        httpserver_ipv4.expect_request(path).respond_with_data(
            f"<!doctype html><title>{title}</title><h1>{title}</h1>", content_type="text/html"
        )
    httpserver_ipv4.expect_request("/favicon.ico").respond_with_data("", status=204)
    api.success_url = httpserver_ipv4.url_for("/thanks")
    api.error_url = httpserver_ipv4.url_for("/oops")
    return api


class Tab:
    """One browser tab, with what it requested and what the console said."""

    def __init__(self, page, allowed_origins):
        self.page = page
        self.allowed = {origin.rstrip("/") for origin in allowed_origins}
        self.requests = []
        self.console_errors = []
        self.failed_responses = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self._console)
        page.on("response", self._response)
        page.set_default_timeout(TIMEOUT_MS)

    def _console(self, message):
        # Failed loads are judged by _response, which knows the URL; CSP violations
        # ("Refused to …") and script errors land here.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _response(self, response):
        # The simulator's page (the card issuer's, not ours) lets Chromium ask for a favicon.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.failed_responses.append(f"{response.status} {response.url}")

    def snap(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, name: str, frame=None, exclude=()) -> None:
        """axe-core on the page as it is now (or on one of its frames): no serious or
        critical violation. The report names each rule and the elements it flagged.
        `exclude`: CSS selectors of parts that are not ours to fix (say why at the call)."""
        from axe_playwright_python.sync_playwright import Axe

        context = {"exclude": [[selector] for selector in exclude]} if exclude else None
        results = Axe().run(frame or self.page, context=context)
        bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        report = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in bad]
        assert report == [], f"axe on {name}: {report}"

    def foreign_requests(self) -> list[str]:
        def origin(url):
            parts = urlsplit(url)
            return f"{parts.scheme}://{parts.netloc}"

        return [url for url in self.requests if not url.startswith("data:") and origin(url) not in self.allowed]


@pytest.fixture
def tab(chromium, shop, hosted_server, httpserver_ipv4):
    yield from _tab(chromium, DESKTOP, [hosted_server.url, httpserver_ipv4.url_for("/")])


@pytest.fixture
def phone_tab(chromium, shop, hosted_server, httpserver_ipv4):
    yield from _tab(chromium, MOBILE, [hosted_server.url, httpserver_ipv4.url_for("/")], is_mobile=True)


def _tab(chromium, viewport, origins, **options):
    context = chromium.new_context(viewport=viewport, **options)
    try:
        tab = Tab(context.new_page(), origins)
        yield tab
        assert tab.foreign_requests() == [], "the hosted pages must make no third-party request"
        assert tab.console_errors == [], "no CSP violation or other console error"
        assert tab.failed_responses == [], "every page and asset loaded"
    finally:
        context.close()
