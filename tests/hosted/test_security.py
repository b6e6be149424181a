"""What protects the hosted pages: the token-for-grant exchange, CSRF, the CSP and other
headers, and the card number that must never be kept anywhere."""

import logging
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.signals import got_request_exception
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.views.debug import ExceptionReporter

from checkout.models import CheckoutSession
from merchants.credentials import client_token_sign
from payments.gateways.simulator import SimulatorGateway
from payments.models import PaymentMethod
from tests.hosted.helpers import (
    CARD_NO_FUNDS,
    CARD_OK,
    DETAILS,
    hosted_url,
    open_checkout,
    pay,
    pay_page,
    ready_to_pay,
    session_create,
    text,
)

pytestmark = pytest.mark.django_db

LINK_INVALID = "This checkout link has expired or is invalid"


def _token(session, *, subject=None, expires_in=600):
    return client_token_sign(
        merchant_id=session.merchant_id, subject=subject or session.public_id, expires_at=time.time() + expires_in
    )


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda s: "ct_forged", id="forged"),
        pytest.param(lambda s: _token(s)[:-3] + "abc", id="tampered"),
        pytest.param(lambda s: _token(s, expires_in=-5), id="expired"),
        pytest.param(lambda s: _token(s, subject="cs_someone_else"), id="other-checkout"),
        pytest.param(lambda s: "", id="empty"),
    ],
)
def test_a_bad_or_expired_token_gets_the_friendly_403(browser, checkout_session, token):
    response = browser.get(pay_page(checkout_session), {"token": token(checkout_session)})
    assert response.status_code == 403
    assert LINK_INVALID in text(response)
    assert "Blue mug" not in text(response)
    # No grant was given: the pages stay closed.
    assert browser.get(pay_page(checkout_session, "review")).status_code == 403


def test_pages_and_posts_without_a_grant_are_refused(browser, checkout_session):
    assert browser.get(pay_page(checkout_session)).status_code == 403
    assert browser.get(pay_page(checkout_session, "payment")).status_code == 403
    response = browser.post(pay_page(checkout_session, "details"), DETAILS)
    assert response.status_code == 403
    assert LINK_INVALID in text(response)
    assert not checkout_session.addresses.exists()


def test_a_grant_opens_only_its_own_checkout(browser, shop_api, checkout_session):
    other = session_create(shop_api)
    open_checkout(browser, checkout_session)
    assert browser.get(pay_page(checkout_session, "review")).status_code == 200
    assert browser.get(pay_page(other, "review")).status_code == 403


def test_the_token_leaves_the_address_bar_and_the_session_key_is_cycled(browser, shop_api, checkout_session):
    earlier = session_create(shop_api)
    open_checkout(browser, earlier)
    before = browser.cookies["sessionid"].value
    response = browser.get(hosted_url(checkout_session))
    assert response.status_code == 302 and "token" not in response["Location"]
    assert browser.cookies["sessionid"].value != before
    # Both grants survive the new key.
    assert browser.get(pay_page(earlier, "review")).status_code == 200
    assert browser.get(pay_page(checkout_session, "review")).status_code == 200


def test_forms_need_the_csrf_token(checkout_session):
    strict = Client(enforce_csrf_checks=True)
    open_checkout(strict, checkout_session)
    response = strict.post(pay_page(checkout_session, "details"), DETAILS)
    assert response.status_code == 403
    assert not checkout_session.addresses.exists()
    page = strict.get(pay_page(checkout_session, "details"))
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()


def test_pages_send_a_strict_csp_that_lets_only_the_merchant_return_urls_in(browser, checkout_session):
    open_checkout(browser, checkout_session)
    response = browser.get(pay_page(checkout_session, "review"))
    csp = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())
    assert csp["default-src"] == "'self'"
    assert csp["style-src"] == "'self'"  # no inline styles on our pages
    assert csp["form-action"] == "'self' https://shop.example"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert "script-src" not in csp  # default-src 'self' covers it; there is no script anyway
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert "<script" not in response.content.decode()
    assert 'style="' not in response.content.decode()


def test_the_403_page_sends_the_csp_too(browser, checkout_session):
    response = browser.get(pay_page(checkout_session, "review"))
    assert response.status_code == 403
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_merchant_may_allow_framing_by_named_origins(browser, shop_api, checkout_session):
    merchant = shop_api.merchant
    merchant.extra_settings = {"hosted_frame_ancestors": ["https://shop.example", "javascript:alert(1)"]}
    merchant.save()
    open_checkout(browser, checkout_session)
    response = browser.get(pay_page(checkout_session, "review"))
    assert "frame-ancestors https://shop.example" in response["Content-Security-Policy"]
    assert "javascript" not in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_the_card_number_is_never_stored_logged_or_echoed(browser, shop_api, checkout_session, caplog):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    caplog.set_level(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        declined = pay(browser, checkout_session, number=CARD_NO_FUNDS, cvc="987")
        failed_page = browser.get(declined["Location"])
        paid = pay(browser, checkout_session, number=CARD_OK, cvc="987")
        success_page = browser.get(paid["Location"])
    assert "Thank you!" in text(success_page)
    numbers = [n.replace(" ", "") for n in (CARD_OK, CARD_NO_FUNDS)] + [CARD_OK, CARD_NO_FUNDS]

    assert not [n for n in numbers if n in caplog.text]
    sql = " ".join(f"{q['sql']}" for q in queries.captured_queries)
    assert not [n for n in numbers if n in sql]
    for page in (declined, failed_page, paid, success_page):
        assert not [n for n in numbers if n in page.content.decode()]

    # Every text-like column of every table, cast to text.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        columns = cursor.fetchall()
        assert len(columns) > 50
        hits = []
        for table, column in columns:
            for number in numbers:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{column}"::text LIKE %s', [f"%{number}%"])
                if cursor.fetchone()[0]:
                    hits.append((table, column))
    assert hits == []
    # Django sessions are stored encoded: decode them to look inside.
    for stored in Session.objects.all():
        decoded = stored.get_decoded()
        assert not [n for n in numbers if n in str(decoded)]
        # The CVC as any stored text (a timestamp's digits may happen to contain it).
        assert not [text for text in _strings(decoded) if "987" in text]


def test_stripe_merchants_get_stripe_js_and_card_posts_are_refused(browser, shop_api, checkout_session, settings):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    merchant = shop_api.merchant
    merchant.gateway = "stripe"
    merchant.save()
    page = browser.get(pay_page(checkout_session, "payment"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="number"' not in html and 'name="cvc"' not in html
    assert '<script src="https://js.stripe.com/v3/"></script>' in html and "data-stripe-card" in html
    policy = dict(part.strip().split(" ", 1) for part in page["Content-Security-Policy"].split(";") if part.strip())
    assert policy["script-src"].split() == ["'self'", "https://js.stripe.com"]
    assert "https://api.stripe.com" in policy["connect-src"] and "https://hooks.stripe.com" in policy["frame-src"]
    # A card number posted anyway is not taken, nor is a form without Stripe's setup id.
    response = pay(browser, checkout_session)
    assert response.status_code == 400
    assert "4242" not in response.content.decode()
    assert not PaymentMethod.objects.filter(merchant=merchant).exists()


def test_product_images_are_allowed_from_their_own_origin_only(browser, shop_api):
    lines = [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_amount": 900,
              "image_url": "https://cdn.shop.example/img/mug.png"}]  # fmt: skip
    response = shop_api.post("/v1/checkout/sessions", {"currency": "USD", "lines": lines}, format="json")
    session = CheckoutSession.objects.get(public_id=response.json()["checkout_id"])
    open_checkout(browser, session)
    review = browser.get(pay_page(session, "review"))
    assert 'src="https://cdn.shop.example/img/mug.png"' in review.content.decode()
    assert "img-src 'self' data: https://cdn.shop.example" in review["Content-Security-Policy"]


def test_a_crash_while_paying_keeps_the_card_out_of_the_error_report(browser, shop_api, checkout_session, monkeypatch):
    ready_to_pay(browser, checkout_session, shop_api.rates[0])

    def vault_down(self, **card):
        raise RuntimeError("vault exploded")

    monkeypatch.setattr(SimulatorGateway, "tokenize", vault_down)
    seen = {}

    def remember(sender, request=None, **kwargs):
        seen["request"] = request

    got_request_exception.connect(remember)
    try:
        with pytest.raises(RuntimeError) as crash:
            pay(browser, checkout_session, number=CARD_OK, cvc="987")
    finally:
        got_request_exception.disconnect(remember)
    report = ExceptionReporter(seen["request"], crash.type, crash.value, crash.tb).get_traceback_text()
    assert "vault exploded" in report
    assert CARD_OK not in report and CARD_OK.replace(" ", "") not in report
    assert "'987'" not in report
    assert "********" in report  # what Django writes in place of a sensitive value


def test_card_submissions_on_the_hosted_page_are_rate_limited(browser, shop_api, checkout_session):
    merchant = shop_api.merchant
    merchant.extra_settings = {**merchant.extra_settings, "card_rate_limit_per_session": 2}
    merchant.save(update_fields=["extra_settings"])
    ready_to_pay(browser, checkout_session, shop_api.rates[0])
    declined = "4000 0000 0000 0002"
    assert pay(browser, checkout_session, number=declined).status_code in (200, 303)
    assert pay(browser, checkout_session, number=declined).status_code in (200, 303)
    limited = pay(browser, checkout_session, number=declined)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert "Too many payment attempts" in text(limited)
