"""The address form's country list speaks the shopper's language and starts on their
country when the session's locale names one."""

import re

import pytest

from tests.hosted.helpers import open_checkout, pay_page, submit_details, text
from tests.hosted.test_languages import _session

pytestmark = pytest.mark.django_db


def _countries(page: str) -> tuple[list[str], str]:
    select = re.search(r'<select name="shipping-country".*?</select>', page, re.S).group(0)
    names = re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]+)</option>', select)
    chosen = re.search(r'<option value="([A-Z]{2})"[^>]*selected', select)
    return names, chosen.group(1) if chosen else ""


def test_a_german_session_lists_countries_in_german_and_starts_on_germany(shop_api, browser):
    session = _session(shop_api, locale="de_DE")
    open_checkout(browser, session)
    names, chosen = _countries(browser.get(pay_page(session, "details")).content.decode())
    assert chosen == "DE"
    assert "Deutschland" in names and "Vereinigte Staaten von Amerika" in names and "Germany" not in names
    assert names.index("Österreich") < names.index("Schweiz"), "sorted by the German names"


def test_without_a_locale_the_form_starts_on_the_merchants_country(shop_api, browser):
    session = _session(shop_api)
    open_checkout(browser, session)
    names, chosen = _countries(browser.get(pay_page(session, "details")).content.decode())
    assert chosen == shop_api.merchant.country and "Germany" in names


def test_a_german_shopper_reads_why_an_address_was_refused_in_german(shop_api, browser):
    session = _session(shop_api, locale="de_DE")
    open_checkout(browser, session)
    page = text(submit_details(browser, session, **{"shipping-postal_code": "9410"}))
    assert "ist keine gültige Postleitzahl für Vereinigte Staaten von Amerika (z. B. 94103, 94103-1234)" in page
    page = text(submit_details(browser, session, **{"shipping-region": ""}))
    assert "ist eine Region nötig" in page
    page = text(submit_details(browser, session, **{"shipping-phone": "+1 415"}, phone="+1 415"))
    assert "Geben Sie eine gültige Telefonnummer ein" in page
    assert "not a valid" not in page and "need a" not in page


def test_the_api_explains_a_refused_address_in_english_whatever_the_sessions_locale(shop_api):
    session = _session(shop_api, locale="de_DE")
    response = shop_api.post(
        f"/v1/checkout/sessions/{session.public_id}/shipping-address",
        {"name": "Ada", "line1": "1 Market St", "city": "San Francisco", "region": "CA", "postal_code": "9410",
         "country": "US"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "'9410' is not a valid United States of America postal code (e.g. 94103, 94103-1234)."
    )
