"""The embedded checkout: the embed token opens the frame variant, which only the
merchant's configured origins may frame, with cookies that work inside another site's
frame, and checkout.js to mount it (the browser journey is tests/browser/test_embedded_checkout.py)."""

import pytest
from django.test import Client

from checkout.hosted.policy import FRAME_ANCESTORS_SETTING
from checkout.hosted_links import EMBED_TOKEN_TTL, session_token
from tests.hosted.helpers import (
    CARD_OK,
    choose_delivery,
    hosted_url,
    open_checkout,
    pay,
    pay_page,
    session_create,
    submit_details,
)

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example"


@pytest.fixture
def framing_shop(shop_api):
    shop_api.merchant.extra_settings = {FRAME_ANCESTORS_SETTING: [SHOP, "https://www.shop.example/path"]}
    shop_api.merchant.save()
    return shop_api


def _embed_url(session) -> str:
    return f"/pay/{session.public_id}/embed?token={session_token(session, ttl=EMBED_TOKEN_TTL).token}"


def test_the_embed_token_opens_the_frame_variant_for_the_configured_origins(framing_shop, checkout_session):
    browser = Client()
    response = browser.get(_embed_url(checkout_session))
    assert response.status_code == 302 and response["Location"] == f"/pay/{checkout_session.public_id}"
    # Even the redirect may be framed by the shop, and by nobody else.
    assert "frame-ancestors https://shop.example https://www.shop.example" in response["Content-Security-Policy"]
    assert not response.has_header("X-Frame-Options")
    page = browser.get(pay_page(checkout_session, "review"))
    html = page.content.decode()
    assert 'class="is-embedded"' in html
    assert 'data-parent-origins="https://shop.example https://www.shop.example"' in html
    assert "hosted/embed.js" in html
    assert "frame-ancestors https://shop.example https://www.shop.example" in page["Content-Security-Policy"]
    # "Back to store" leaves the frame for the whole window.
    assert 'target="_top"' in html


def test_a_merchant_without_origins_cannot_be_framed(shop_api, checkout_session):
    browser = Client()
    browser.get(_embed_url(checkout_session))
    page = browser.get(pay_page(checkout_session, "review"))
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    assert 'data-parent-origins=""' in page.content.decode()


def test_a_bad_or_foreign_embed_token_is_refused(framing_shop, checkout_session, shop_api):
    other = session_create(shop_api)
    browser = Client()
    assert browser.get(f"/pay/{checkout_session.public_id}/embed?token=nope").status_code == 403
    token = session_token(other, ttl=EMBED_TOKEN_TTL).token
    assert browser.get(f"/pay/{checkout_session.public_id}/embed?token={token}").status_code == 403
    assert browser.get(f"/pay/{checkout_session.public_id}/embed").status_code == 403


def test_the_plain_link_is_not_the_frame_variant(framing_shop, checkout_session):
    browser = Client()
    open_checkout(browser, checkout_session)
    html = browser.get(pay_page(checkout_session, "review")).content.decode()
    assert "is-embedded" not in html and "embed.js" not in html


def test_over_https_the_frame_cookies_are_sent_cross_site(framing_shop, checkout_session):
    browser = Client()
    response = browser.get(_embed_url(checkout_session), secure=True)
    cookie = response.cookies["sessionid"]
    assert cookie["samesite"] == "None" and cookie["secure"]
    page = browser.get(pay_page(checkout_session, "details"), secure=True)
    csrf = page.cookies.get("csrftoken")
    assert csrf is not None and csrf["samesite"] == "None" and csrf["secure"]
    # The ordinary hosted page keeps Lax.
    plain = Client().get(hosted_url(checkout_session), secure=True)
    assert plain.cookies["sessionid"]["samesite"] == "Lax"


def test_a_paid_embedded_checkout_stays_in_its_frame_and_says_completed(framing_shop, checkout_session):
    browser = Client()
    browser.get(_embed_url(checkout_session))
    assert submit_details(browser, checkout_session).status_code == 303
    assert choose_delivery(browser, checkout_session, f"rate:{framing_shop.rates[0].public_id}").status_code == 303
    done = pay(browser, checkout_session, CARD_OK)
    assert done.status_code == 303
    page = browser.get(done["Location"])
    html = page.content.decode()
    assert 'data-event="checkout.completed"' in html and 'data-order-id="ord_' in html
    # The receipt (which no other site may frame) opens in its own tab.
    assert 'target="_blank" rel="noopener">View receipt</a>' in html
    # No timed redirect: the merchant's page decides what follows checkout.completed.
    assert 'http-equiv="refresh"' not in html


def test_checkout_js_is_served(client):
    from django.contrib.staticfiles import finders

    assert finders.find("checkout.js") is not None
    assert finders.find("hosted/embed.js") is not None
