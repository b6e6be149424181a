import pytest
from rest_framework.test import APIClient

from checkout.models import Calculation, CheckoutSession, SessionEvent
from checkout.providers import shipping as shipping_providers
from tests.checkout.factories import PickupLocationFactory, ShippingRateFactory

pytestmark = pytest.mark.django_db

US_ADDRESS = {"name": "Jane Doe", "line1": "1 Market St", "city": "San Francisco", "region": "CA",
              "postal_code": "94105", "country": "US"}  # fmt: skip


def _url(session, suffix):
    return f"/v1/checkout/sessions/{session['checkout_id']}/{suffix}"


def _session(api, lines, address=US_ADDRESS):
    """A session for `lines` ((quantity, unit_amount, weight_grams, requires_shipping)…)."""
    body = {
        "currency": "USD",
        "lines": [
            {"sku": f"SKU-{i}", "name": f"Item {i}", "quantity": q, "unit_amount": amount, "weight_grams": weight,
             "requires_shipping": ships}
            for i, (q, amount, weight, ships) in enumerate(lines)
        ],
    }  # fmt: skip
    session = api.post("/v1/checkout/sessions", body, format="json").json()
    if address:
        session = api.post(_url(session, "shipping-address"), address, format="json").json()
    return session


def _option_ids(api, session):
    response = api.get(_url(session, "shipping-options"))
    assert response.status_code == 200, response.content
    return [option["id"] for option in response.json()["data"]]


def test_options_match_country_currency_and_merchant(api, other_api):
    cheap = ShippingRateFactory(merchant=api.merchant, amount=500, countries=["US", "CA"])
    anywhere = ShippingRateFactory(merchant=api.merchant, amount=2500, countries=[], name="World")
    ShippingRateFactory(merchant=api.merchant, countries=["GB"])
    ShippingRateFactory(merchant=api.merchant, currency="EUR")
    ShippingRateFactory(merchant=api.merchant, is_active=False)
    ShippingRateFactory(merchant=other_api.merchant)
    session = _session(api, [(2, 1000, 300, True)])
    body = api.get(_url(session, "shipping-options")).json()
    assert [o["id"] for o in body["data"]] == [cheap.public_id, anywhere.public_id]
    assert body["data"][0] == {
        "id": cheap.public_id, "name": cheap.name, "carrier": "UPS", "service_code": cheap.service_code,
        "amount": 500, "currency": "USD", "min_delivery_days": 2, "max_delivery_days": 5,
    }  # fmt: skip
    assert (body["shipping_required"], body["country"], body["currency"]) == (True, "US", "USD")
    assert (body["sub_total"], body["weight_grams"]) == (2000, 600)
    assert body["selected_shipping_option_id"] is None


def test_weight_bands_pick_the_right_rate(api):
    light = ShippingRateFactory(merchant=api.merchant, max_weight_grams=1000, amount=400)
    medium = ShippingRateFactory(merchant=api.merchant, min_weight_grams=1000, max_weight_grams=5000, amount=900)
    heavy = ShippingRateFactory(merchant=api.merchant, min_weight_grams=5000, amount=2500)
    # 2 × 400 g ship; the 10 kg line is digital-only weight and does not count.
    assert _option_ids(api, _session(api, [(2, 100, 400, True), (1, 100, 10_000, False)])) == [light.public_id]
    assert _option_ids(api, _session(api, [(2, 100, 500, True)])) == [medium.public_id]  # 1000 g: lower bound in
    assert _option_ids(api, _session(api, [(5, 100, 1000, True)])) == [heavy.public_id]


def test_subtotal_bands_pick_the_right_rate(api):
    paid = ShippingRateFactory(merchant=api.merchant, max_subtotal=5000, amount=695)
    free = ShippingRateFactory(merchant=api.merchant, min_subtotal=5000, amount=0)
    assert _option_ids(api, _session(api, [(1, 4999, 0, True)])) == [paid.public_id]
    assert _option_ids(api, _session(api, [(2, 2500, 0, True)])) == [free.public_id]  # exactly 50.00
    # Lines that do not ship still count towards the subtotal.
    assert _option_ids(api, _session(api, [(1, 1000, 0, True), (1, 4000, 0, False)])) == [free.public_id]


def test_no_address_means_no_options_yet(api):
    ShippingRateFactory(merchant=api.merchant, countries=[])
    body = api.get(_url(_session(api, [(1, 100, 0, True)], address=None), "shipping-options")).json()
    assert (body["country"], body["data"], body["shipping_required"]) == (None, [], True)


def test_nothing_to_ship_means_no_options(api):
    rate = ShippingRateFactory(merchant=api.merchant)
    session = _session(api, [(1, 100, 0, False)])
    body = api.get(_url(session, "shipping-options")).json()
    assert (body["shipping_required"], body["data"]) == (False, [])
    response = api.post(_url(session, "select-shipping"), {"shipping_option_id": rate.public_id}, format="json")
    assert response.status_code == 400
    pickup = PickupLocationFactory(merchant=api.merchant)
    response = api.post(_url(session, "pickup-location"), {"pickup_location_id": pickup.public_id}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "shipping_not_required")


def test_select_shipping_sets_rate_clears_pickup_and_stales_totals(api):
    rate = ShippingRateFactory(merchant=api.merchant)
    pickup = PickupLocationFactory(merchant=api.merchant)
    session = _session(api, [(1, 1000, 100, True)])
    picked = api.post(_url(session, "pickup-location"), {"pickup_location_id": pickup.public_id}, format="json")
    assert picked.status_code == 200, picked.content
    assert picked.json()["pickup_location"]["id"] == pickup.public_id

    row = CheckoutSession.objects.get(public_id=session["checkout_id"])
    calc = Calculation.objects.create(
        session=row, pricing_version=row.pricing_version, currency="USD", prices_include_tax=False,
        sub_total=1000, discount_total=0, tax_total=0, shipping_total=0, grand_total=1000,
    )  # fmt: skip
    CheckoutSession.objects.filter(pk=row.pk).update(current_calculation=calc)

    response = api.post(_url(session, "select-shipping"), {"shipping_option_id": rate.public_id}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["selected_shipping"]["id"] == rate.public_id
    assert body["selected_shipping"]["amount"] == 500
    assert body["pickup_location"] is None
    assert body["calculation_is_current"] is False
    assert body["version"] == picked.json()["version"] + 1
    assert api.get(_url(session, "shipping-options")).json()["selected_shipping_option_id"] == rate.public_id
    event = SessionEvent.objects.get(type="shipping.selected")
    assert event.data == {"shipping_option_id": rate.public_id, "amount": 500, "currency": "USD"}

    # Choosing the same option again moves nothing.
    again = api.post(_url(session, "select-shipping"), {"shipping_option_id": rate.public_id}, format="json")
    assert again.json()["version"] == body["version"]


def test_pickup_clears_the_selected_rate(api):
    rate = ShippingRateFactory(merchant=api.merchant)
    pickup = PickupLocationFactory(merchant=api.merchant)
    session = _session(api, [(1, 1000, 100, True)])
    api.post(_url(session, "select-shipping"), {"shipping_option_id": rate.public_id}, format="json")
    body = api.post(_url(session, "pickup-location"), {"pickup_location_id": pickup.public_id}, format="json").json()
    assert body["selected_shipping"] is None
    assert body["pickup_location"]["id"] == pickup.public_id
    assert SessionEvent.objects.filter(type="shipping.pickup_selected").count() == 1


@pytest.mark.parametrize("which", ["other_country", "other_merchant", "inactive", "unknown", "other_band"])
def test_select_ineligible_option_is_400_and_writes_nothing(api, other_api, which):
    rate = {
        "other_country": lambda: ShippingRateFactory(merchant=api.merchant, countries=["GB"]),
        "other_merchant": lambda: ShippingRateFactory(merchant=other_api.merchant),
        "inactive": lambda: ShippingRateFactory(merchant=api.merchant, is_active=False),
        "unknown": lambda: None,
        "other_band": lambda: ShippingRateFactory(merchant=api.merchant, min_weight_grams=5000),
    }[which]()
    option_id = rate.public_id if rate else "shr_doesnotexist"
    session = _session(api, [(1, 1000, 100, True)])
    response = api.post(_url(session, "select-shipping"), {"shipping_option_id": option_id}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("shipping_option_unavailable", "shipping_option_id")
    row = CheckoutSession.objects.get(public_id=session["checkout_id"])
    assert (row.selected_shipping_rate_id, row.version) == (None, session["version"])


@pytest.mark.parametrize("which", ["other_merchant", "inactive", "unknown"])
def test_pickup_location_must_be_the_merchants_active_one(api, other_api, which):
    location = {
        "other_merchant": lambda: PickupLocationFactory(merchant=other_api.merchant),
        "inactive": lambda: PickupLocationFactory(merchant=api.merchant, is_active=False),
        "unknown": lambda: None,
    }[which]()
    session = _session(api, [(1, 1000, 100, True)])
    body = {"pickup_location_id": location.public_id if location else "pul_nope"}
    response = api.post(_url(session, "pickup-location"), body, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["param"] == "pickup_location_id"
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).pickup_location_id is None


def test_pickup_locations_list_only_the_merchants_active_ones(api, other_api):
    mine = [PickupLocationFactory(merchant=api.merchant) for _ in range(3)]
    PickupLocationFactory(merchant=api.merchant, is_active=False)
    PickupLocationFactory(merchant=other_api.merchant)
    session = _session(api, [(1, 1000, 100, True)], address=None)
    first = api.get(_url(session, "pickup-location") + "?limit=2").json()
    second = api.get(_url(session, "pickup-location") + f"?limit=2&cursor={first['next_cursor']}").json()
    assert [p["id"] for p in first["data"] + second["data"]] == [p.public_id for p in mine]
    assert second["has_more"] is False


@pytest.mark.parametrize("method,suffix,body", [
    ("get", "shipping-options", None),
    ("get", "pickup-location", None),
    ("post", "select-shipping", {"shipping_option_id": "shr_x"}),
    ("post", "pickup-location", {"pickup_location_id": "pul_x"}),
])  # fmt: skip
def test_another_merchants_session_is_404(api, other_api, method, suffix, body):
    session = _session(api, [(1, 1000, 100, True)])
    response = getattr(other_api, method)(_url(session, suffix), body, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


def test_canceled_session_cannot_change_shipping(api):
    rate = ShippingRateFactory(merchant=api.merchant)
    pickup = PickupLocationFactory(merchant=api.merchant)
    session = _session(api, [(1, 1000, 100, True)])
    api.delete(f"/v1/checkout/sessions/{session['checkout_id']}")
    for suffix, body in (
        ("select-shipping", {"shipping_option_id": rate.public_id}),
        ("pickup-location", {"pickup_location_id": pickup.public_id}),
    ):
        response = api.post(_url(session, suffix), body, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "invalid_state_transition"
    assert api.get(_url(session, "shipping-options")).status_code == 200  # reading is still fine


def test_stale_if_match_is_412(api):
    rate = ShippingRateFactory(merchant=api.merchant)
    session = _session(api, [(1, 1000, 100, True)])
    stale = f'"{session["version"] - 1}"'
    body = {"shipping_option_id": rate.public_id}
    response = api.post(_url(session, "select-shipping"), body, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert CheckoutSession.objects.get(public_id=session["checkout_id"]).selected_shipping_rate_id is None
    fresh = f'"{session["version"]}"'
    assert api.post(_url(session, "select-shipping"), body, format="json", HTTP_IF_MATCH=fresh).status_code == 200


def test_client_token_can_choose_shipping_for_its_session(api):
    rate = ShippingRateFactory(merchant=api.merchant)
    session = _session(api, [(1, 1000, 100, True)])
    shopper = APIClient()
    shopper.credentials(HTTP_AUTHORIZATION=f"Bearer {session['client_token']}")
    assert shopper.get(_url(session, "shipping-options")).status_code == 200
    response = shopper.post(_url(session, "select-shipping"), {"shipping_option_id": rate.public_id}, format="json")
    assert response.status_code == 200
    assert SessionEvent.objects.get(type="shipping.selected").actor == "shopper"


class CheapestOnly(shipping_providers.ShippingProvider):
    name = "cheapest_only"

    def options(self, *, merchant_id, query):
        return shipping_providers.RateTableShippingProvider().options(merchant_id=merchant_id, query=query)[:1]


def test_merchant_setting_picks_the_provider(api, monkeypatch):
    monkeypatch.setattr(shipping_providers, "_providers", dict(shipping_providers._providers))
    shipping_providers.register_shipping_provider(CheapestOnly())
    cheap = ShippingRateFactory(merchant=api.merchant, amount=100)
    dear = ShippingRateFactory(merchant=api.merchant, amount=900)
    session = _session(api, [(1, 1000, 100, True)])
    assert _option_ids(api, session) == [cheap.public_id, dear.public_id]

    api.merchant.extra_settings = {"shipping_provider": "cheapest_only"}
    api.merchant.save(update_fields=["extra_settings"])
    assert _option_ids(api, session) == [cheap.public_id]
    body = {"shipping_option_id": dear.public_id}
    assert api.post(_url(session, "select-shipping"), body, format="json").status_code == 400

    api.merchant.extra_settings = {"shipping_provider": "carrier_pigeon"}
    api.merchant.save(update_fields=["extra_settings"])
    response = api.get(_url(session, "shipping-options"))
    assert (response.status_code, response.json()["error"]["code"]) == (503, "shipping_provider_unavailable")
