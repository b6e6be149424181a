"""Tokenizing cards (the number is kept nowhere) and listing what the merchant accepts."""

import logging

import pytest
from django.db import connection
from rest_framework.test import APIClient

from payments.models import PaymentMethod
from payments.simulator.models import SimulatorCard
from tests.payments.helpers import SUCCESS, THREE_DS, V1, calculated_session, ok, publishable_client, shopper_client

pytestmark = pytest.mark.django_db

TOKENIZE = f"{V1}/payment-methods/tokenize"


def card(number=SUCCESS, **fields):
    return {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123", **fields}}


def test_tokenize_with_a_publishable_key(api):
    body = ok(publishable_client(api).post(TOKENIZE, card(), format="json"), 201)
    assert body["payment_method_id"].startswith("pm_")
    assert body["card"] == {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034}
    method = PaymentMethod.objects.get(public_id=body["payment_method_id"])
    assert method.merchant == api.merchant and method.token.startswith("tok_sim_") and len(method.fingerprint) == 16


def test_tokenize_with_the_session_client_token_and_the_secret_key(api):
    session = calculated_session(api)
    assert ok(shopper_client(session).post(TOKENIZE, card("5555555555554444"), format="json"), 201)["card"][
        "brand"
    ] == ("mastercard")
    assert ok(api.post(TOKENIZE, card(), format="json"), 201)


def test_same_card_same_fingerprint_and_profile_kept_instead_of_number(api):
    first = ok(api.post(TOKENIZE, card(THREE_DS), format="json"), 201)
    second = ok(api.post(TOKENIZE, card(THREE_DS), format="json"), 201)
    a, b = PaymentMethod.objects.filter(public_id__in=[first["payment_method_id"], second["payment_method_id"]])
    assert a.fingerprint == b.fingerprint and a.token != b.token
    assert set(SimulatorCard.objects.values_list("profile", flat=True)) == {"three_d_secure"}


def test_tokenize_needs_a_credential(anon_api):
    assert anon_api.post(TOKENIZE, card(), format="json").status_code == 401


@pytest.mark.parametrize(
    "body,status,param",
    [
        ({"type": "card"}, 400, "card"),
        ({"type": "bank_account", "card": card()["card"]}, 400, "type"),
        (card("4242"), 400, "card.number"),
        (card("4242424242424241"), 402, "card.number"),  # fails the checksum
        (card(exp_month=13), 400, "card.exp_month"),
        (card(exp_year=2020), 400, "card.exp_year"),
        (card(cvc="12"), 400, "card.cvc"),
        ({**card(), "extra": 1}, 400, "extra"),
    ],
)
def test_tokenize_bad_input(api, body, status, param):
    response = api.post(TOKENIZE, body, format="json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["param"] == param
    assert PaymentMethod.objects.count() == 0


def _rows_containing(text):
    """Every (table, column) whose value, cast to text, contains `text`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            for column in connection.introspection.get_table_description(cursor, table):
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE CAST("{column.name}" AS text) LIKE %s LIMIT 1',  # noqa: S608
                    [f"%{text}%"],
                )
                if cursor.fetchone():
                    found.append((table, column.name))
    return found


def test_the_card_number_and_cvc_are_stored_nowhere_and_logged_nowhere(api, caplog):
    number, cvc = "4000002760003184", "987"
    caplog.set_level(logging.DEBUG)
    body = ok(
        publishable_client(api).post(TOKENIZE, card(number, cvc=cvc), format="json", HTTP_IDEMPOTENCY_KEY="t1"), 201
    )
    bad = api.post(TOKENIZE, card("4000002760003185", cvc=cvc), format="json")
    assert bad.status_code == 402 and "4000002760003185" not in bad.content.decode()
    assert number not in str(body)
    assert _rows_containing(number) == []
    assert _rows_containing("4000002760003185") == []
    assert number not in caplog.text and "4000002760003185" not in caplog.text
    assert _rows_containing("3184") != []  # the search itself works: last four are kept


def test_payment_methods_lists_what_the_merchant_accepts(api):
    body = ok(publishable_client(api).get(f"{V1}/payment-methods?country=US&currency=USD&channel=web"))
    assert body["object"] == "list"
    card, pay_later = body["data"]
    assert card == {
        "type": "card", "gateway": "simulator", "brands": ["visa", "mastercard", "amex", "discover"],
        "currencies": ["USD"], "country": "US", "three_d_secure": True, "capture_methods": ["auto", "manual"],
    }  # fmt: skip
    # Without an amount, every plan that takes the currency (tests/bnpl has the amounts).
    assert pay_later["type"] == "buy_now_pay_later" and pay_later["currencies"] == ["USD"]
    assert [plan["code"] for plan in pay_later["plans"]] == ["pay_in_4", "monthly_3"]
    assert ok(api.get(f"{V1}/payment-methods?currency=JPY"))["data"] == []
    assert ok(api.get(f"{V1}/payment-methods?channel=pos"))["data"][0]["three_d_secure"] is False
    assert ok(api.get(f"{V1}/payment-methods"))["data"][0]["currencies"] == ["USD", "EUR", "GBP"]


@pytest.mark.parametrize(
    "query,param", [("currency=usd", "currency"), ("country=usa", "country"), ("channel=fax", "channel")]
)
def test_payment_methods_bad_query(api, query, param):
    response = api.get(f"{V1}/payment-methods?{query}")
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_payment_methods_needs_a_credential():
    assert APIClient().get(f"{V1}/payment-methods").status_code == 401
