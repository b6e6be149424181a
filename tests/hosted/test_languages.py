"""The hosted pages in the shopper's language: the session's locale, else the browser's
Accept-Language; English and German ship, with amounts and dates formatted by babel."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from django.conf import settings
from django.db import connection
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.test import Client
from django.test.utils import CaptureQueriesContext

from checkout.models import CheckoutSession
from tests.checkout.factories import ShippingRateFactory
from tests.hosted.helpers import SHOP_CART, choose_delivery, open_checkout, pay_page, submit_details, text

pytestmark = pytest.mark.django_db

CATALOG = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"


def _session(api, **extra) -> CheckoutSession:
    body = {**SHOP_CART, "return_urls": {"success_url": "https://shop.example/thanks"}, **extra}
    response = api.post("/v1/checkout/sessions", body, format="json")
    assert response.status_code == 201, response.content
    return CheckoutSession.objects.get(public_id=response.json()["checkout_id"])


def test_a_german_session_reads_german_with_german_amounts(shop_api, browser):
    session = _session(shop_api, locale="de_DE")
    open_checkout(browser, session)
    page = browser.get(pay_page(session, "review"))
    assert 'lang="de-DE"' in page.content.decode()
    words = text(page)
    assert "Bestellung prüfen" in words and "Weiter" in words and "Zwischensumme bisher" in words
    assert "54,00 $" in words  # 2 × 14,50 $ + 25,00 $, in German notation
    assert "Review your order" not in words
    submit_details(browser, session)
    delivery = text(browser.get(pay_page(session, "shipping")))
    assert "Versandart" in delivery and "Werktage" in delivery and "Lieferung bis" in delivery
    # Dates as German writes them: "Mo., 7. Dez.", not "Mo. 7 Dez.".
    arrives = re.findall(r"Lieferung bis (\S+ \S+ \S+)", delivery)
    assert arrives and all(re.fullmatch(r"(Mo|Di|Mi|Do|Fr)\., \d{1,2}\. \w+\.?", date) for date in arrives), arrives


def test_a_german_browser_reads_german_amounts_and_dates_on_an_english_default_session(shop_api):
    """A session left at the default locale, read by a German browser: the words are German,
    so the amounts and dates are written the German way too."""
    session = _session(shop_api)
    german = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    open_checkout(german, session)
    assert "54,00 $" in text(german.get(pay_page(session, "review")))
    submit_details(german, session)
    delivery = text(german.get(pay_page(session, "shipping")))
    assert re.search(r"Lieferung bis (Mo|Di|Mi|Do|Fr)\., \d{1,2}\. ", delivery), delivery


def test_german_form_errors(shop_api, browser):
    session = _session(shop_api, locale="de_DE")
    open_checkout(browser, session)
    words = text(submit_details(browser, session, email=""))
    assert "Geben Sie Ihre E-Mail-Adresse ein." in words


def test_country_names_follow_the_page_language(shop_api):
    session = _session(shop_api, locale="de_DE")
    german = Client()
    open_checkout(german, session)
    page = german.get(pay_page(session, "details")).content.decode()
    assert '<option value="US">Vereinigte Staaten von Amerika</option>' in page
    assert '<option value="DE" selected>Deutschland</option>' in page
    english = Client()
    other = _session(shop_api)
    open_checkout(english, other)
    assert '<option value="DE">Germany</option>' in english.get(pay_page(other, "details")).content.decode()


def test_without_a_chosen_locale_the_browser_language_decides(shop_api):
    session = _session(shop_api)
    german = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    open_checkout(german, session)
    assert "Bestellung prüfen" in text(german.get(pay_page(session, "review")))
    french = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    open_checkout(french, session)
    assert "Review your order" in text(french.get(pay_page(session, "review")))


def test_the_merchant_locale_outvotes_the_browser(shop_api):
    session = _session(shop_api, locale="de_DE")
    english_browser = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    open_checkout(english_browser, session)
    assert "Bestellung prüfen" in text(english_browser.get(pay_page(session, "review")))


def test_the_invalid_link_page_follows_the_browser():
    page = Client(HTTP_ACCEPT_LANGUAGE="de").get("/pay/cs_nope?token=nope")
    assert page.status_code == 403
    assert "Dieser Link ist abgelaufen oder ungültig" in text(page)


def test_the_shipped_catalog_is_compiled_from_the_po():
    """The .mo is kept in the repository so a fresh clone needs no gettext; it must say
    what the .po says (after editing the .po: `manage.py compilemessages`)."""
    with open(CATALOG / "django.po", "rb") as source:
        catalog = read_po(source)
    with open(CATALOG / "django.mo", "rb") as compiled:
        mo = gettext.GNUTranslations(compiled)
    untranslated = []
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"fuzzy (unchecked) translation: {message.id}"
        if isinstance(message.id, tuple):
            assert mo.ngettext(message.id[0], message.id[1], 1) == message.string[0]
            continue
        if not message.string:
            untranslated.append(message.id)
        shipped = mo.pgettext(message.context, message.id) if message.context else mo.gettext(message.id)
        assert shipped == (message.string or message.id), message.id
    assert untranslated == []


# What a shopper reads, and the code that writes it: every string marked for translation
# here must have its German in the catalog. Admin templates and the test providers' pages
# (the card issuer's, the pay later provider's) are not the shopper's pages of this product.
SHOPPER_TEMPLATES = ("templates/hosted", "templates/bnpl", "templates/checkout", "templates/receipts")
SHOPPER_TEMPLATE_FILES = ("templates/home.html",)
SHOPPER_CODE = ("checkout/hosted", "checkout/receipts.py", "checkout/services/confirmation.py", "payments/bnpl")
KEYWORDS = {
    "gettext": None, "gettext_lazy": None, "_": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2),
}  # fmt: skip


def _template_strings(path: Path) -> set[tuple[str | None, str]]:
    """The msgids of a template's translate and blocktranslate tags, as Django's own
    parser reads them (the same text makemessages extracts)."""
    template = engines["django"].from_string(path.read_text())
    found = set()
    for node in template.template.nodelist.get_nodes_by_type(TranslateNode):
        context = node.message_context.resolve({}) if node.message_context else None
        found.add((context, str(node.filter_expression.var.literal)))
    for node in template.template.nodelist.get_nodes_by_type(BlockTranslateNode):
        context = node.message_context.resolve({}) if node.message_context else None
        singular, _ = node.render_token_list(node.singular)
        found.add((context, " ".join(singular.split()) if node.trimmed else singular))
    return found


def _marked_strings() -> set[tuple[str | None, str]]:
    """(context, msgid) of every marked string in the shopper's templates and code; no
    gettext tools needed."""
    base = Path(settings.BASE_DIR)
    templates = [path for folder in SHOPPER_TEMPLATES for path in (base / folder).rglob("*") if path.is_file()]
    templates += [base / name for name in SHOPPER_TEMPLATE_FILES]
    found = set().union(*(_template_strings(path) for path in templates))
    code = []
    for name in SHOPPER_CODE:
        path = base / name
        code += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for path in code:
        if "migrations" in path.parts:
            continue
        with open(path, "rb") as source:
            for _, message, _, context in extract("python", source, keywords=KEYWORDS):
                found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def test_every_string_the_shopper_reads_has_its_german():
    """A string marked after the last `makemessages` has no German yet: the page would show
    it in English in the middle of a German checkout."""
    with open(CATALOG / "django.po", "rb") as source:
        catalog = read_po(source)
    translated = {
        (message.context, message.id[0] if isinstance(message.id, tuple) else message.id)
        for message in catalog
        if message.id
        and not message.fuzzy
        and all(message.string if isinstance(message.string, tuple) else [message.string])
    }
    marked = _marked_strings()
    assert len(marked) > 200  # the extraction itself works
    missing = sorted(marked - translated, key=str)
    assert missing == [], "run `manage.py makemessages -l de`, translate, then `compilemessages`"


def test_delivery_options_show_the_order_total_each_would_make(shop_api):
    """The shopper (in merchant-approval mode too) sees the final total before choosing:
    the preview is the same computation the order will be charged by."""
    for rate in shop_api.rates:
        session, browser = _session(shop_api), Client()
        open_checkout(browser, session)
        submit_details(browser, session)
        page = browser.get(pay_page(session, "shipping"))
        assert f'data-totals-for="rate:{rate.public_id}"' in page.content.decode()
        shown = text(page)
        assert choose_delivery(browser, session, f"rate:{rate.public_id}").status_code == 303
        session.refresh_from_db()
        total = session.current_calculation.grand_total
        assert session.current_calculation.shipping_total == rate.amount
        assert f"Order total ${total // 100}.{total % 100:02d}" in shown


def test_the_delivery_page_prices_each_option_in_a_bounded_number_of_queries(shop_api):
    """Each option's total costs the same few reads (cart, addresses, promotion, tax
    table): a merchant with more rates pays per option, never per line."""
    session, browser = _session(shop_api), Client()
    open_checkout(browser, session)
    submit_details(browser, session)
    with CaptureQueriesContext(connection) as three_choices:
        assert browser.get(pay_page(session, "shipping")).status_code == 200
    ShippingRateFactory(merchant=shop_api.merchant, name="Overnight", amount=2500, min_delivery_days=1,
                        max_delivery_days=1)  # fmt: skip
    with CaptureQueriesContext(connection) as four_choices:
        assert browser.get(pay_page(session, "shipping")).status_code == 200
    per_option = len(four_choices) - len(three_choices)
    assert per_option <= 4, [q["sql"] for q in four_choices.captured_queries]
