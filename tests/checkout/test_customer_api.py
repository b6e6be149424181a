import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from checkout.models import Address, Calculation, CheckoutSession, SessionEvent
from tests.checkout.factories import ShippingRateFactory

pytestmark = pytest.mark.django_db

US_ADDRESS = {"name": "Jane Doe", "line1": "1 Market St", "city": "San Francisco", "region": "ca",
              "postal_code": "94105", "country": "us", "phone": "(415) 555-2671"}  # fmt: skip
GB_ADDRESS = {"name": "John Smith", "line1": "10 Downing St", "city": "London", "postal_code": "sw1a2aa",
              "country": "GB"}  # fmt: skip


def _url(session, suffix):
    return f"/v1/checkout/sessions/{session['checkout_id']}/{suffix}"


def _timeline(session):
    return list(SessionEvent.objects.filter(session__public_id=session["checkout_id"]).values_list("type", flat=True))


def _assert_untouched(session):
    row = CheckoutSession.objects.get(public_id=session["checkout_id"])
    assert (row.status, row.version, row.customer_email, row.customer_phone) == ("created", session["version"], "", "")
    assert not Address.objects.filter(session=row).exists()
    assert _timeline(session) == ["status.created"]


def test_customer_sets_fields_and_stores_phone_e164(api, session):
    response = api.post(
        _url(session, "customer"),
        {"email": "Jane@Example.COM", "name": "Jane Doe", "phone": "(415) 555-2671", "reference": "cus_9"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer"] == {"email": "Jane@example.com", "name": "Jane Doe", "phone": "+14155552671",
                                "reference": "cus_9", "customer_id": "cus_9", "save_for_later": False}  # fmt: skip
    assert body["status"] == "collecting"
    assert body["version"] == session["version"] + 2  # the move to collecting, then the change
    assert response["ETag"] == f'"{body["version"]}"'
    assert _timeline(session) == ["status.created", "status.collecting", "customer.updated"]
    event = SessionEvent.objects.get(type="customer.updated")
    assert event.data == {"fields": ["email", "name", "phone", "reference"]}
    assert event.actor.startswith("merchant:sk_test_")


def test_customer_phone_is_read_in_the_shipping_country(api, session):
    assert api.post(_url(session, "shipping-address"), GB_ADDRESS, format="json").status_code == 200
    response = api.post(_url(session, "customer"), {"phone": "020 7946 0958"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["customer"]["phone"] == "+442079460958"


@pytest.mark.parametrize(
    "suffix,body,param",
    [
        ("customer", {"email": "not-an-email"}, "email"),
        ("customer", {"phone": "555"}, "phone"),
        ("customer", {"phone": "020 7946 0958"}, "phone"),  # a UK number read as a US one
        ("customer", {"nickname": "J"}, "nickname"),
        ("customer", {}, None),
        ("contact", {"email": "jane@"}, "email"),
        ("contact", {"phone": "+1 415"}, "phone"),
        ("contact", {"name": "Jane"}, "name"),  # contact carries email and phone only
        ("shipping-address", {**US_ADDRESS, "country": "XX"}, "country"),
        ("shipping-address", {k: v for k, v in US_ADDRESS.items() if k != "country"}, "country"),
        ("shipping-address", {**US_ADDRESS, "postal_code": "941"}, "postal_code"),
        ("shipping-address", {**US_ADDRESS, "region": ""}, "region"),
        ("shipping-address", {**US_ADDRESS, "phone": "12"}, "phone"),
        ("shipping-address", {**GB_ADDRESS, "postal_code": "12345"}, "postal_code"),
        ("billing-address", {**US_ADDRESS, "line1": ""}, "line1"),
        ("billing-address", {**US_ADDRESS, "city": "x" * 201}, "city"),
    ],
)
def test_bad_input_is_400_with_param_and_writes_nothing(api, session, suffix, body, param):
    response = api.post(_url(session, suffix), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    _assert_untouched(session)


def test_contact_sets_email_and_phone(api, session):
    response = api.post(_url(session, "contact"), {"email": "a@b.example", "phone": "+442079460958"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["customer"]["email"] == "a@b.example"
    assert response.json()["customer"]["phone"] == "+442079460958"
    assert _timeline(session)[-1] == "contact.updated"


def test_shipping_and_billing_addresses_are_upserted_and_listed(api, session):
    response = api.post(_url(session, "shipping-address"), US_ADDRESS, format="json")
    assert response.status_code == 200, response.content
    shipping = response.json()["shipping_address"]
    assert (shipping["country"], shipping["region"], shipping["phone"]) == ("US", "CA", "+14155552671")
    assert shipping["validation_status"] == "valid" and shipping["validation_messages"] == []

    replaced = api.post(_url(session, "shipping-address"), GB_ADDRESS, format="json").json()["shipping_address"]
    assert (replaced["country"], replaced["postal_code"], replaced["region"]) == ("GB", "SW1A 2AA", "")
    billing = {"line1": "Av. Paulista 1000", "city": "São Paulo", "country": "BR"}
    assert api.post(_url(session, "billing-address"), billing, format="json").status_code == 200
    assert Address.objects.filter(session__public_id=session["checkout_id"]).count() == 2

    listed = api.get(_url(session, "addresses"))
    assert listed.status_code == 200
    body = listed.json()
    assert body["shipping_address"]["postal_code"] == "SW1A 2AA"
    assert body["billing_address"]["validation_status"] == "unverified"
    assert body["billing_address"]["validation_messages"][0]["code"] == "country_rules_generic"
    assert body["billing_address_required"] is False
    assert _timeline(session)[-3:] == ["address.shipping_set", "address.shipping_set", "address.billing_set"]
    last = SessionEvent.objects.filter(type="address.shipping_set").last()
    assert last.data == {"country": "GB", "validation_status": "valid", "replaced": True}


def test_addresses_empty_until_set(api, session):
    body = api.get(_url(session, "addresses")).json()
    assert body["shipping_address"] is None and body["billing_address"] is None


def _with_current_calculation(session):
    row = CheckoutSession.objects.get(public_id=session["checkout_id"])
    calc = Calculation.objects.create(
        session=row, pricing_version=row.pricing_version, currency="USD", prices_include_tax=False,
        sub_total=5248, discount_total=0, tax_total=0, shipping_total=0, grand_total=5248,
    )  # fmt: skip
    CheckoutSession.objects.filter(pk=row.pk).update(current_calculation=calc)


def test_shipping_address_makes_the_calculation_stale(api, session):
    _with_current_calculation(session)
    before = api.get(f"/v1/checkout/sessions/{session['checkout_id']}").json()
    assert before["calculation_is_current"] is True
    after = api.post(_url(session, "shipping-address"), US_ADDRESS, format="json").json()
    assert after["calculation_is_current"] is False
    assert after["version"] > before["version"]


def test_billing_address_moves_totals_only_without_a_shipping_address(api, session):
    api.post(_url(session, "shipping-address"), US_ADDRESS, format="json")
    _with_current_calculation(session)
    body = api.post(_url(session, "billing-address"), GB_ADDRESS, format="json").json()
    assert body["calculation_is_current"] is True  # tax follows the shipping address

    Address.objects.filter(kind="shipping").delete()
    body = api.post(_url(session, "billing-address"), US_ADDRESS, format="json").json()
    assert body["calculation_is_current"] is False


def test_new_shipping_country_drops_the_selected_rate(api, session):
    rate = ShippingRateFactory(merchant=api.merchant, countries=["US", "GB"])
    api.post(_url(session, "shipping-address"), US_ADDRESS, format="json")
    assert api.post(_url(session, "select-shipping"), {"shipping_option_id": rate.public_id}, format="json").json()[
        "selected_shipping"
    ]
    same_country = api.post(_url(session, "shipping-address"), {**US_ADDRESS, "line2": "Apt 4"}, format="json")
    assert same_country.json()["selected_shipping"]["id"] == rate.public_id
    moved = api.post(_url(session, "shipping-address"), GB_ADDRESS, format="json").json()
    assert moved["selected_shipping"] is None
    assert SessionEvent.objects.filter(type="address.shipping_set").last().data["selected_shipping_cleared"] is True


@pytest.mark.parametrize("suffix,body", [
    ("customer", {"name": "X"}),
    ("contact", {"email": "x@example.com"}),
    ("shipping-address", US_ADDRESS),
    ("billing-address", US_ADDRESS),
])  # fmt: skip
def test_another_merchants_session_is_404(other_api, session, suffix, body):
    response = other_api.post(_url(session, suffix), body, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"
    assert other_api.get(_url(session, "addresses")).status_code == 404
    _assert_untouched(session)


@pytest.mark.parametrize("suffix,body", [
    ("customer", {"name": "X"}),
    ("contact", {"email": "x@example.com"}),
    ("shipping-address", US_ADDRESS),
    ("billing-address", US_ADDRESS),
])  # fmt: skip
def test_canceled_session_is_409(api, session, suffix, body):
    api.delete(f"/v1/checkout/sessions/{session['checkout_id']}")
    response = api.post(_url(session, suffix), body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state_transition"
    assert not Address.objects.exists()
    assert _timeline(session) == ["status.created", "status.canceled"]


def test_stale_if_match_is_412(api, session):
    etag = f'"{session["version"]}"'
    first = api.post(_url(session, "shipping-address"), US_ADDRESS, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    stale = api.post(_url(session, "billing-address"), US_ADDRESS, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert not Address.objects.filter(kind="billing").exists()
    fresh = api.post(_url(session, "billing-address"), US_ADDRESS, format="json", HTTP_IF_MATCH=first["ETag"])
    assert fresh.status_code == 200


def test_idempotent_replay_changes_nothing_twice(api, session):
    headers = {"HTTP_IDEMPOTENCY_KEY": "addr-1"}
    first = api.post(_url(session, "shipping-address"), US_ADDRESS, format="json", **headers)
    again = api.post(_url(session, "shipping-address"), US_ADDRESS, format="json", **headers)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert _timeline(session).count("address.shipping_set") == 1


def test_client_token_may_edit_only_its_own_session(api, session, cart):
    shopper = APIClient()
    shopper.credentials(HTTP_AUTHORIZATION=f"Bearer {session['client_token']}")
    response = shopper.post(_url(session, "shipping-address"), US_ADDRESS, format="json")
    assert response.status_code == 200
    assert SessionEvent.objects.get(type="address.shipping_set").actor == "shopper"
    other = api.post("/v1/checkout/sessions", cart, format="json").json()
    assert shopper.post(_url(other, "shipping-address"), US_ADDRESS, format="json").status_code == 403
    assert shopper.get(_url(other, "addresses")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_with_one_etag_let_exactly_one_through(api, session):
    """Both requests pass If-Match before either writes unless the check is under the lock."""
    etag = f'"{session["version"]}"'
    results = []
    barrier = threading.Barrier(2, timeout=10)

    def post(body):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.secrets.secret_key}")
            barrier.wait()
            results.append(client.post(_url(session, "shipping-address"), body, format="json", HTTP_IF_MATCH=etag))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(body,)) for body in (US_ADDRESS, GB_ADDRESS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.status_code for r in results) == [200, 412]
    assert _timeline(session).count("address.shipping_set") == 1
