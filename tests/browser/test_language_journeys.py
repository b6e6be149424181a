"""Every hosted step in English and in German, at desktop (1280 px) and phone (390 px)
width, in the plain page and inside a merchant's iframe: a screenshot of each (in
tests/browser/artifacts/, to look at), axe on each, nothing wider than the window, and in
German no English word left on any page. On the way the shopper goes back from payment to
delivery and to review, and the step bar keeps what was completed."""

import re

import pytest
from playwright.sync_api import expect

from checkout.hosted.policy import FRAME_ANCESTORS_SETTING
from checkout.hosted_links import hosted_link
from checkout.models import CheckoutSession
from tests.hosted.helpers import SHOP_CART

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words of the English pages that have no business on a German one. Names that stay as
# they are (the shop, its products, rates and carriers, the address) are not in the list.
ENGLISH_WORDS = re.compile(
    r"\b(Review|Continue|Delivery|Details|Payment|Pay|Back|Order|Subtotal|Shipping|Tax|Total|Card|Secure|"
    r"Free|business|days?|arrives|Email|Address|Change|Thank|Receipt|Parcel|every|payments|later|"
    r"Mon|Tue|Wed|Thu|Fri)\b"
)

WORDS = {
    "en": {
        "review": "Review your order", "continue": "Continue", "email": "Email", "address": "Shipping address",
        "country": "Country", "name": "Full name", "line1": "Address", "city": "City", "region": "State / region",
        "postal": "Postal code", "to_delivery": "Continue to delivery", "delivery": "Delivery",
        "to_payment": "Continue to payment", "payment": "Payment", "back_to_delivery": "← Back to delivery",
        "review_done": "Review (completed)", "number": "Card number", "expiry": "Expiry date",
        "cvc": "Security code", "holder": "Name on card", "pay": re.compile(r"^Pay \$63\.60$"),
        "success": "Thank you! Your payment was successful",
    },
    "de": {
        "review": "Bestellung prüfen", "continue": "Weiter", "email": "E-Mail", "address": "Lieferadresse",
        "country": "Land", "name": "Vollständiger Name", "line1": "Adresse", "city": "Stadt",
        "region": "Bundesland / Region", "postal": "Postleitzahl", "to_delivery": "Weiter zum Versand",
        "delivery": "Versand", "to_payment": "Weiter zur Zahlung", "payment": "Zahlung",
        "back_to_delivery": "← Zurück zum Versand", "review_done": "Übersicht (erledigt)",
        "number": "Kartennummer", "expiry": "Ablaufdatum", "cvc": "Sicherheitscode", "holder": "Name auf der Karte",
        "pay": "63,60 $ bezahlen", "success": "Vielen Dank! Ihre Zahlung war erfolgreich",
    },
}  # fmt: skip


def _session(shop, language: str) -> CheckoutSession:
    body = {**SHOP_CART, "locale": {"en": "en_US", "de": "de_DE"}[language],
            "return_urls": {"success_url": shop.success_url, "error_url": shop.error_url}}  # fmt: skip
    created = shop.post("/v1/checkout/sessions", body, format="json")
    assert created.status_code == 201, created.content
    return CheckoutSession.objects.get(public_id=created.json()["checkout_id"])


class Journey:
    """One shopper's way through the steps, checking each page as it comes."""

    def __init__(self, tab, where, language: str, name: str, width: int):
        self.tab, self.where, self.language, self.name, self.width = tab, where, language, name, width
        self.words = WORDS[language]
        self.frame = tab.page.frames[1] if where is not tab.page else None

    def check(self, step: str) -> None:
        page = self.tab.page
        # The iframe grows to its content (checkout.resize); give it a moment to settle.
        page.wait_for_timeout(150)
        self.tab.snap(f"{self.name}-{step}")
        self.tab.axe(f"{self.name} {step}", frame=self.frame)
        target = self.frame or page
        assert target.evaluate("document.documentElement.scrollWidth") <= target.evaluate("window.innerWidth"), step
        # Nothing sticks out of its card (a long word, a total) or out of the window either.
        overflowing = target.evaluate(
            """() => Array.from(document.querySelectorAll('main, aside, main *, aside *')).filter(e => {
                 const r = e.getBoundingClientRect();
                 const box = e.parentElement.closest('.card');
                 const edge = box ? box.getBoundingClientRect().right : window.innerWidth;
                 return r.width > 0 && (r.right > Math.min(edge, window.innerWidth) + 0.5 || r.left < -0.5);
               }).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))"""
        )
        assert overflowing == [], f"{step}: {overflowing}"
        if self.language == "de":
            visible = target.evaluate("document.body.innerText")
            names = (
                "Northwind Goods",
                "Blue mug",
                "Logo T-shirt",
                "Market Street store",
                "1 Market St",
                "Mon–Sat 9–18",
                "3-D Secure",
            )
            for name in names:
                visible = visible.replace(name, "")
            english = sorted(set(ENGLISH_WORDS.findall(visible)))
            assert english == [], f"English on the German {step} page: {english}"

    def walk(self) -> None:
        w, where = self.words, self.where
        expect(where.get_by_role("heading", name=w["review"])).to_be_visible()
        self.check("1-review")
        where.get_by_role("link", name=w["continue"], exact=True).click()
        where.get_by_label(w["email"]).fill("ada@example.com")
        address = where.get_by_role("group", name=w["address"])
        address.get_by_label(w["country"], exact=True).select_option("US")
        address.get_by_label(w["name"]).fill("Ada Lovelace")
        address.get_by_label(w["line1"], exact=True).fill("1 Market St")
        address.get_by_label(w["city"]).fill("San Francisco")
        address.get_by_label(w["region"]).fill("CA")
        address.get_by_label(w["postal"]).fill("94105")
        self.check("2-details")
        where.get_by_role("button", name=w["to_delivery"]).click()
        expect(where.get_by_role("heading", name=w["delivery"], exact=True)).to_be_visible()
        where.get_by_role("radio", name=re.compile("Standard")).check()
        self.check("3-delivery")
        where.get_by_role("button", name=w["to_payment"]).click()
        expect(where.get_by_role("heading", name=w["payment"], exact=True)).to_be_visible()

        # Back to delivery (a plain link), back to review by the step bar: the steps done stay done.
        where.get_by_role("link", name=w["back_to_delivery"]).click()
        expect(where.get_by_role("heading", name=w["delivery"], exact=True)).to_be_visible()
        expect(where.get_by_role("radio", name=re.compile("Standard"))).to_be_checked()
        where.get_by_role("link", name=w["review_done"]).click()
        expect(where.get_by_role("heading", name=w["review"])).to_be_visible()
        expect(where.locator(".steps li.is-done")).to_have_count(2)
        expect(where.locator(".steps li.is-current")).to_have_count(1)
        where.get_by_role("link", name=w["continue"], exact=True).click()  # straight on to payment

        expect(where.get_by_role("heading", name=w["payment"], exact=True)).to_be_visible()
        expect(where.locator(".steps li.is-done")).to_have_count(3)
        where.get_by_label(w["number"]).fill("4242 4242 4242 4242")
        where.get_by_label(w["expiry"]).fill("12 / 34")
        where.get_by_label(w["cvc"]).fill("123")
        where.get_by_label(w["holder"]).fill("Ada Lovelace")
        self.check("4-payment")
        where.get_by_role("button", name=w["pay"]).click()
        expect(where.get_by_role("heading", name=w["success"])).to_be_visible()
        self.check("5-success")


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_step_at_desktop_width(tab, shop, language):
    tab.page.goto(hosted_link(_session(shop, language)).url)
    Journey(tab, tab.page, language, f"{language}-1280", 1280).walk()


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_step_at_phone_width(phone_tab, shop, language):
    phone_tab.page.goto(hosted_link(_session(shop, language)).url)
    Journey(phone_tab, phone_tab.page, language, f"{language}-390", 390).walk()


SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northwind: checkout</title><style>body {{ margin: 0; font: 16px system-ui; }} main {{ padding: 1rem; }}</style>
</head><body><main><h1>Northwind checkout</h1><div id="checkout"></div></main>
<script src="{base}/static/checkout.js"></script>
<script>Checkout.mount("#checkout", {{ checkoutId: "{checkout_id}", token: "{token}" }});</script>
</body></html>"""


@pytest.mark.parametrize("viewport", ["tab", "phone_tab"])
def test_every_step_inside_the_merchants_iframe_in_german(request, viewport, shop, hosted_server, httpserver_ipv4):
    tab = request.getfixturevalue(viewport)
    shop.merchant.extra_settings = {FRAME_ANCESTORS_SETTING: [httpserver_ipv4.url_for("/").rstrip("/")]}
    shop.merchant.save()
    session = _session(shop, "de")
    token = shop.get(f"/v1/checkout/sessions/{session.public_id}/embed-token").json()["token"]
    httpserver_ipv4.expect_request("/checkout").respond_with_data(
        SHOP_PAGE.format(base=hosted_server.url, checkout_id=session.public_id, token=token), content_type="text/html"
    )
    tab.page.goto(httpserver_ipv4.url_for("/checkout"))
    frame = tab.page.frame_locator("iframe[title=Checkout]")
    width = 1280 if viewport == "tab" else 390
    Journey(tab, frame, "de", f"embedded-de-{width}", width).walk()
