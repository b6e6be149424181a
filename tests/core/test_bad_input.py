"""Hostile input never reaches a 500: every case answers a 4xx in the error envelope.

Each case here answered 500 (or Django's HTML page) before the request layer in
core.api.guard learnt to refuse it; they go through the real URL routing and middleware.
"""

import base64
import json

import pytest
from django.test import Client

V1 = "/v1/checkout"

CART = {
    "currency": "USD",
    "lines": [{"sku": "EBOOK", "name": "E-book", "quantity": 1, "unit_amount": 1500, "requires_shipping": False}],
    "return_urls": {"success_url": "https://shop.example/ok", "error_url": "https://shop.example/err"},
}

pytestmark = pytest.mark.django_db


def error_of(response, status=400):
    """The envelope of a refusal; fails on a 5xx, HTML, or the wrong status."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body["error"]) >= {"type", "code", "message", "param"}, body
    return body["error"]


def raw_post(client, path, body: bytes, **extra):
    return client.generic("POST", path, body, content_type="application/json", **extra)


@pytest.fixture
def session(api):
    response = api.post(f"{V1}/sessions", CART, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def forged_cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- NUL bytes and lone surrogates -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{V1}/sessions/cs_%00",
        f"{V1}/sessions/cs_%00/timeline",
        f"{V1}/payment-intents/pi_%00",
        f"{V1}/refunds/re_%00",
        f"{V1}/orders/ord_%00",
        f"{V1}/finalizations/fin_%00",
        f"{V1}/reservations/res_%00",
        f"{V1}/webhooks/we_%00",
        f"{V1}/events/evt_%00",
        f"{V1}/hosted/cs_%00/status",
    ],
)
def test_nul_in_a_path_id_is_a_400(api, path):
    error = error_of(api.get(path))
    assert error["code"] == "parameter_invalid"


@pytest.mark.parametrize(
    "path",
    [
        f"{V1}/sessions?status=%00",
        f"{V1}/sessions?cursor=%00",
        f"{V1}/refunds?payment_intent=pi_%00",
        f"{V1}/events?type=%00",
        f"{V1}/inventory?sku=%00",
    ],
)
def test_nul_in_a_query_filter_is_a_400(api, path):
    error = error_of(api.get(path))
    assert error["code"] == "parameter_invalid"


def test_nul_in_the_redirect_return_query_is_a_400():
    error = error_of(Client().get("/v1/checkout/redirect/return?payment_intent=pi_%00"))
    assert error["param"] == "payment_intent"


def test_nul_in_a_receipt_id_is_a_400_not_a_crash():
    response = Client().get("/receipts/rcpt_%00x")
    assert response.status_code == 400


def test_nul_in_a_header_is_a_400(api):
    error = error_of(api.post(f"{V1}/sessions", CART, format="json", HTTP_IDEMPOTENCY_KEY="key\x00"))
    assert error["param"] == "Idempotency-Key"


@pytest.mark.parametrize("bad", ["a\x00", "a\ud800b"])
def test_nul_or_lone_surrogate_in_metadata_is_a_400(api, bad):
    body = json.dumps({**CART, "metadata": {"k": bad}}).encode()  # ensure_ascii keeps \ud800 as an escape
    error = error_of(raw_post(api, f"{V1}/sessions", body))
    assert error["code"] == "parameter_invalid"
    assert error["param"] == "metadata.k"


@pytest.mark.parametrize("bad", ["a\x00", "\udfff"])
def test_nul_or_lone_surrogate_in_a_json_key_is_a_400(api, bad):
    body = json.dumps({**CART, "metadata": {bad: "v"}}).encode()
    error_of(raw_post(api, f"{V1}/sessions", body))


@pytest.mark.parametrize("bad", ["a\x00", "\ud800"])
def test_nul_or_lone_surrogate_in_extra_settings_is_a_400(api, bad):
    body = json.dumps({"extra_settings": {"k": [bad]}}).encode()
    error = error_of(api.generic("PATCH", f"{V1}/settings", body, content_type="application/json"))
    assert error["param"] == "extra_settings.k[0]"


def test_nul_in_the_oauth_token_form_is_a_400(merchant_secrets):
    response = Client().post(
        "/v1/oauth/token/",
        {"grant_type": "client_credentials", "client_id": "abc\x00", "client_secret": "x"},
    )
    error = error_of(response)
    assert error["param"] == "client_id"


def test_lone_surrogate_escape_in_the_oauth_token_form_is_a_400(merchant_secrets):
    response = Client().generic(
        "POST",
        "/v1/oauth/token/",
        b"grant_type=client_credentials&client_id=%00&client_secret=x",
        content_type="application/x-www-form-urlencoded",
    )
    error_of(response)


# --- Forged cursors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{V1}/sessions",
        f"{V1}/refunds",
        f"{V1}/events",
        f"{V1}/webhooks",
    ],
)
@pytest.mark.parametrize(
    "cursor",
    [
        "p=garbage",
        "p=2026-02-31 25:61:00",
        "p=9999999-01-01",
        "o=99999999999999999999999&p=x",
        "r=1&p=\x00",
    ],
)
def test_a_forged_cursor_is_a_400_on_every_list(api, path, cursor):
    response = api.get(path, {"cursor": forged_cursor(cursor)})
    error = error_of(response)
    assert error["param"] == "cursor"


@pytest.mark.parametrize("cursor", ["p=\x00", "p=garbage&o=99999999999999999999999", "r=99999999999999999999999"])
def test_a_forged_cursor_on_a_list_ordered_by_text_is_never_a_500(api, cursor):
    response = api.get(f"{V1}/inventory", {"cursor": forged_cursor(cursor)})
    assert response.status_code in (200, 400), response.content[:300]


def test_a_forged_cursor_on_webhook_deliveries_is_a_400(api):
    endpoint = api.post(f"{V1}/webhooks", {"url": "https://shop.example/hooks", "events": ["*"]}, format="json")
    assert endpoint.status_code == 201, endpoint.content
    response = api.get(f"{V1}/webhooks/{endpoint.json()['id']}/deliveries", {"cursor": forged_cursor("p=garbage")})
    assert error_of(response)["param"] == "cursor"


def test_a_forged_cursor_on_the_timeline_is_a_400(api, session):
    for cursor in ("p=garbage", "p=2026-13-40", "p=99999999999999999999999"):
        response = api.get(f"{V1}/sessions/{session['checkout_id']}/timeline", {"cursor": forged_cursor(cursor)})
        assert error_of(response)["param"] == "cursor"


# --- Deep JSON, oversized bodies -----------------------------------------------------------


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_json_is_a_400(api, opening):
    error = error_of(raw_post(api, f"{V1}/sessions", (opening * 50_000).encode()))
    assert error["code"] in ("parse_error", "parameter_invalid")


def test_moderately_nested_metadata_still_parses(api):
    body = {**CART, "metadata": {"k": "v"}}
    assert raw_post(api, f"{V1}/sessions", json.dumps(body).encode()).status_code == 201


def test_a_body_over_the_limit_is_a_413_in_the_envelope(api, settings):
    body = json.dumps({**CART, "metadata": {"k": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}}).encode()
    error = error_of(raw_post(api, f"{V1}/sessions", body), status=413)
    assert error["code"] == "request_too_large"


def test_a_form_over_the_field_limit_is_a_413_in_the_envelope(settings):
    body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5))
    response = Client().generic(
        "POST", "/v1/oauth/token/", body.encode(), content_type="application/x-www-form-urlencoded"
    )
    error_of(response, status=413)


# --- If-Match ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["\u00b2", '"\u00b2"', "9" * 5000, '"\u0663"', "-1", '"1", "x"', "9" * 19])
@pytest.mark.parametrize("as_wsgi", [True, False])
def test_a_malformed_if_match_is_refused_in_the_envelope(api, session, value, as_wsgi):
    # A real server hands non-ASCII header bytes to Django decoded as latin-1.
    header = value.encode("utf-8").decode("latin-1") if as_wsgi else value
    response = api.generic(
        "PATCH",
        f"{V1}/sessions/{session['checkout_id']}",
        json.dumps({"metadata": {"a": "b"}}),
        content_type="application/json",
        HTTP_IF_MATCH=header,
    )
    assert response.status_code in (400, 412), response.content[:300]
    error_of(response, status=response.status_code)


# --- Signature headers ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/checkout/webhook/payment", "/v1/checkout/3ds/callback"])
@pytest.mark.parametrize("header", ["HTTP_SIMULATOR_SIGNATURE", "HTTP_STRIPE_SIGNATURE"])
def test_a_400_digit_signature_timestamp_is_a_400(path, header):
    value = f"t={'9' * 400},v1=abc"
    response = Client().generic("POST", path, b'{"id": "evt_1"}', content_type="application/json", **{header: value})
    error_of(response)


@pytest.mark.parametrize("path", ["/v1/checkout/webhook/payment", "/v1/checkout/3ds/callback"])
def test_a_negative_huge_signature_timestamp_is_a_400(path):
    value = f"t=-{'9' * 400},v1=abc"
    response = Client().generic("POST", path, b"{}", content_type="application/json", HTTP_SIMULATOR_SIGNATURE=value)
    error_of(response)


# --- Amounts that overflow 64 bits -------------------------------------------------------


def big_lines(count):
    """Lines each at their own maximum (100,000 x 10^12 minor units, valid on its own)."""
    return [
        {"sku": f"GOLD{i}", "name": "Gold", "quantity": 100_000, "unit_amount": 10**12, "requires_shipping": False}
        for i in range(count)
    ]


def test_a_cart_whose_total_overflows_64_bits_is_refused_at_creation(api):
    # 93 lines of 10^17: 9.3 x 10^18 > 2^63 - 1, the column the totals are stored in.
    error = error_of(api.post(f"{V1}/sessions", {**CART, "lines": big_lines(93)}, format="json"))
    assert error["param"] == "lines"
    assert error["code"] == "amount_too_large"


def test_a_cart_over_the_session_maximum_is_refused_and_one_at_it_is_accepted(api):
    error = error_of(api.post(f"{V1}/sessions", {**CART, "lines": big_lines(2)}, format="json"))
    assert error["code"] == "amount_too_large"
    assert api.post(f"{V1}/sessions", {**CART, "lines": big_lines(1)}, format="json").status_code == 201


def test_an_update_whose_lines_overflow_is_refused(api, session):
    response = api.patch(f"{V1}/sessions/{session['checkout_id']}", {"lines": big_lines(93)}, format="json")
    assert error_of(response)["code"] == "amount_too_large"


def test_totals_that_overflow_at_calculation_are_refused_not_stored():
    from checkout import pricing
    from core.exceptions import AmountTooLarge

    line = pricing.PricingLine(line_id="1", sku="A", quantity=1, unit_amount=2**62)
    data = pricing.PricingInput(
        currency="USD",
        prices_include_tax=False,
        lines=(line, line),
        tax=pricing.TaxTable(country="US"),
    )
    with pytest.raises(AmountTooLarge):
        pricing.compute(data)


def test_an_overlong_url_is_a_414_in_the_envelope(api):
    response = api.post(
        f"{V1}/sessions/{'9' * 5000}/contact", {"email": "a@b.example"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    error = error_of(response, status=414)
    assert error["code"] == "uri_too_long"


def test_the_test_server_does_not_serve_the_working_directory(live_server):
    import requests

    assert requests.get(f"{live_server.url}/README.md", timeout=10).status_code == 404


@pytest.mark.parametrize("amount", [2**63, 10**30])
def test_capture_and_refund_amounts_past_64_bits_are_400s(api, amount):
    from tests.payments.helpers import confirm, intent_url, ok, paid_intent

    _, intent = paid_intent(api, capture_mode="manual")
    ok(confirm(api, intent["id"]))
    error = error_of(api.post(intent_url(intent["id"], "capture"), {"amount": amount}, format="json"))
    assert error["param"] == "amount"
    ok(api.post(intent_url(intent["id"], "capture"), {}, format="json"))
    refund = api.post(
        intent_url(intent["id"], "refund"), {"amount": amount, "reason": "requested_by_customer"}, format="json"
    )
    assert error_of(refund)["param"] == "amount"
