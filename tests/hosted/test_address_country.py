"""The address form's country list speaks the shopper's language and starts on their
country when the session's locale names one."""

import re

import pytest

from tests.hosted.helpers import open_checkout, pay_page
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
