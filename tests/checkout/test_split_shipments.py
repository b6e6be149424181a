"""Split shipments: stock at locations, a plan of the fewest parcels, its selection and
pricing, holds per location, and the order's shipments."""

import pytest

from checkout.models import LocationStock, ReservationAllocation, ShipmentPlan
from checkout.services.inventory import session_reserve
from core.exceptions import DomainError
from tests.checkout.factories import ShippingRateFactory
from tests.checkout.finalize_helpers import finalize, pay, session_url
from tests.concurrency import run_together
from tests.payments.helpers import V1, ok

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Jane Doe", "line1": "1 Market St", "city": "San Francisco", "region": "CA",
           "postal_code": "94105", "country": "US"}  # fmt: skip


def location(api, code, priority, handling_days=0, kind="warehouse"):
    body = {"code": code, "name": code.title(), "kind": kind, "country": "US", "priority": priority,
            "handling_days": handling_days}  # fmt: skip
    return ok(api.post(f"{V1}/locations", body, format="json"), 201)


def stock(api, location_id, **levels):
    items = [{"sku": sku, "on_hand": on_hand} for sku, on_hand in levels.items()]
    return ok(api.post(f"{V1}/locations/{location_id}/inventory", {"items": items}, format="json"))


def cart_session(api, lines, address=ADDRESS):
    body = {
        "currency": "USD",
        "lines": [
            {"sku": sku, "name": sku.title(), "quantity": qty, "unit_amount": 1000, "weight_grams": 500,
             "requires_shipping": True}
            for sku, qty in lines
        ],
    }  # fmt: skip
    checkout_id = ok(api.post(f"{V1}/sessions", body, format="json"), 201)["checkout_id"]
    ok(api.post(session_url(checkout_id, "customer"), {"email": "ada@example.com"}, format="json"))
    if address:
        ok(api.post(session_url(checkout_id, "shipping-address"), address, format="json"))
    return checkout_id


@pytest.fixture
def stocked(api):
    """A warehouse with mugs and shirts, a store with posters and a few mugs, two rates."""
    warehouse = location(api, "WH-1", priority=1, handling_days=1)
    store = location(api, "STORE-2", priority=5, kind="store")
    stock(api, warehouse["id"], MUG=5, SHIRT=3)
    stock(api, store["id"], MUG=2, POSTER=4)
    cheap = ShippingRateFactory(merchant=api.merchant, amount=500, min_delivery_days=2, max_delivery_days=4)
    fast = ShippingRateFactory(merchant=api.merchant, amount=1500, min_delivery_days=1, max_delivery_days=1)
    return {"warehouse": warehouse, "store": store, "cheap": cheap, "fast": fast}


def propose(api, checkout_id):
    return api.post(session_url(checkout_id, "split-shipment-plan"), {}, format="json")


def select(api, checkout_id, plan_id, **options):
    body = {"plan_id": plan_id, **({"shipping_options": options} if options else {})}
    return api.post(session_url(checkout_id, "select-shipment-plan"), body, format="json")


def test_location_stock_sets_the_ledger_total_and_is_per_tenant(api, other_api, stocked):
    inventory = {item["sku"]: item for item in ok(api.get(f"{V1}/inventory?limit=100"))["data"]}
    assert {sku: item["on_hand"] for sku, item in inventory.items()} == {"MUG": 7, "SHIRT": 3, "POSTER": 4}
    stock(api, stocked["store"]["id"], MUG=0)
    assert ok(api.get(f"{V1}/inventory?sku=MUG"))["data"][0]["on_hand"] == 5
    listed = ok(api.get(f"{V1}/locations"))["data"]
    assert [loc["code"] for loc in listed] == ["WH-1", "STORE-2"]
    assert other_api.get(f"{V1}/locations/{stocked['warehouse']['id']}/inventory").status_code == 404
    assert other_api.post(
        f"{V1}/locations/{stocked['warehouse']['id']}/inventory", {"items": [{"sku": "MUG", "on_hand": 1}]},
        format="json",
    ).status_code == 404  # fmt: skip
    assert ok(other_api.get(f"{V1}/locations"))["data"] == []
    taken = api.post(f"{V1}/locations", {"code": "WH-1", "name": "Again", "country": "US"}, format="json")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "location_code_taken"


def test_the_plan_is_the_fewest_parcels_with_options_estimates_and_totals(api, stocked):
    checkout_id = cart_session(api, [("MUG", 1), ("SHIRT", 1), ("POSTER", 2)])
    plan = ok(propose(api, checkout_id), 201)
    assert (plan["object"], plan["status"], plan["split"], plan["shipment_count"]) == (
        "shipment_plan", "proposed", True, 2,
    )  # fmt: skip
    warehouse, store = plan["groups"]
    assert warehouse["location"]["code"] == "WH-1" and store["location"]["code"] == "STORE-2"
    assert sorted(line["sku"] for line in warehouse["lines"]) == ["MUG", "SHIRT"]
    assert [line["sku"] for line in store["lines"]] == ["POSTER"]
    assert [o["id"] for o in warehouse["shipping_options"]] == [stocked["cheap"].public_id, stocked["fast"].public_id]
    assert warehouse["selected_shipping_option_id"] == stocked["cheap"].public_id
    # The warehouse needs a day to hand over: its estimate is a day later than the store's.
    assert warehouse["estimate"] == {"min_delivery_days": 3, "max_delivery_days": 5}
    assert store["estimate"] == {"min_delivery_days": 2, "max_delivery_days": 4}
    assert (warehouse["sub_total"], warehouse["shipping_amount"], warehouse["total"]) == (2000, 500, 2500)
    assert (store["sub_total"], store["total"]) == (2000, 2500)
    assert plan["shipping_total"] == 1000


def test_one_location_covering_everything_is_one_parcel(api, stocked):
    checkout_id = cart_session(api, [("MUG", 2), ("SHIRT", 1)])
    plan = ok(propose(api, checkout_id), 201)
    assert (plan["split"], plan["shipment_count"]) == (False, 1)


def test_a_cart_no_location_can_cover_is_a_shortfall(api, stocked):
    checkout_id = cart_session(api, [("MUG", 6)])  # 7 in all, but never 6 in one place
    response = propose(api, checkout_id)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "inventory_shortfall"
    assert response.json()["error"]["lines"] == [{"sku": "MUG", "requested": 6, "available": None}]


def test_selecting_prices_the_parcels_and_replaces_a_single_option(api, stocked):
    checkout_id = cart_session(api, [("SHIRT", 1), ("POSTER", 1)])
    plan = ok(propose(api, checkout_id), 201)
    chosen = ok(select(api, checkout_id, plan["id"], shg_2=stocked["fast"].public_id))
    assert chosen["status"] == "selected" and chosen["shipping_total"] == 500 + 1500
    session = ok(api.get(session_url(checkout_id)))
    assert session["totals"]["shipping_total"] == 2000
    assert session["totals"]["grand_total"] == 2000 + 2000
    assert "shipping_not_selected" not in [
        b["code"] for b in ok(api.post(session_url(checkout_id, "validate"), {}, format="json"))["blockers"]
    ]  # noqa: E501

    # A single option chosen afterwards supersedes the plan.
    ok(api.post(session_url(checkout_id, "select-shipping"), {"shipping_option_id": stocked["cheap"].public_id},
                format="json"))  # fmt: skip
    assert ShipmentPlan.objects.get(public_id=plan["id"]).status == "superseded"
    again = select(api, checkout_id, plan["id"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "shipment_plan_stale"


def test_a_plan_goes_stale_when_the_cart_changes_and_bad_choices_are_400(api, stocked):
    checkout_id = cart_session(api, [("SHIRT", 1), ("POSTER", 1)])
    plan = ok(propose(api, checkout_id), 201)
    unknown_group = select(api, checkout_id, plan["id"], shg_9=stocked["cheap"].public_id)
    assert unknown_group.status_code == 400 and unknown_group.json()["error"]["param"] == "shipping_options.shg_9"
    not_offered = select(api, checkout_id, plan["id"], shg_1="shr_nope")
    assert not_offered.status_code == 400 and not_offered.json()["error"]["code"] == "shipping_option_unavailable"
    assert select(api, checkout_id, "spl_unknown").status_code == 404
    ok(select(api, checkout_id, plan["id"]))
    body = {"lines": [{"sku": "SHIRT", "name": "Shirt", "quantity": 2, "unit_amount": 1000, "weight_grams": 500}]}
    ok(api.patch(session_url(checkout_id), body, format="json"))
    stale = select(api, checkout_id, plan["id"])
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "shipment_plan_stale"
    # The old selection no longer prices the session: shipping must be chosen again.
    assert "shipping_not_selected" in [
        b["code"] for b in ok(api.post(session_url(checkout_id, "validate"), {}, format="json"))["blockers"]
    ]  # noqa: E501


def test_without_an_address_groups_have_no_options_and_cannot_be_selected(api, stocked):
    checkout_id = cart_session(api, [("SHIRT", 1)], address=None)
    plan = ok(propose(api, checkout_id), 201)
    assert plan["groups"][0]["shipping_options"] == [] and plan["groups"][0]["estimate"] is None
    refused = select(api, checkout_id, plan["id"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "shipping_unavailable"


def test_another_tenant_cannot_plan_or_select(api, other_api, stocked):
    checkout_id = cart_session(api, [("SHIRT", 1)])
    plan = ok(propose(api, checkout_id), 201)
    assert propose(other_api, checkout_id).status_code == 404
    assert select(other_api, checkout_id, plan["id"]).status_code == 404


def test_reserve_holds_per_location_and_finalize_carries_the_shipments(api, stocked):
    checkout_id = cart_session(api, [("MUG", 2), ("POSTER", 1), ("SHIRT", 1)])
    plan = ok(propose(api, checkout_id), 201)
    ok(select(api, checkout_id, plan["id"]))
    reservation = ok(api.post(session_url(checkout_id, "reserve"), {}, format="json"), 201)
    assert sorted((a["location_code"], a["sku"], a["quantity"]) for a in reservation["allocations"]) == [
        ("STORE-2", "POSTER", 1), ("WH-1", "MUG", 2), ("WH-1", "SHIRT", 1),
    ]  # fmt: skip
    held = {(a.location.code, a.sku): a.quantity for a in ReservationAllocation.objects.select_related("location")}
    assert held == {("WH-1", "MUG"): 2, ("WH-1", "SHIRT"): 1, ("STORE-2", "POSTER"): 1}

    # The warehouse's 3 free mugs are now 3 elsewhere too; a cart for 4 there is short.
    other = cart_session(api, [("MUG", 4)])
    assert propose(api, other).status_code == 409

    pay(api, checkout_id)
    order = ok(finalize(api, checkout_id), 201)["order"]
    shipments = order["shipments"]
    assert [s["location"]["code"] for s in shipments] == ["WH-1", "STORE-2"]
    assert [s["shipping_option"]["id"] for s in shipments] == [stocked["cheap"].public_id] * 2
    assert order["totals"]["shipping_total"] == 1000 and order["shipping"]["method"] == "split"
    levels = {
        (level.location.code, level.sku): level.on_hand for level in LocationStock.objects.select_related("location")
    }  # noqa: E501
    assert levels == {("WH-1", "MUG"): 3, ("WH-1", "SHIRT"): 2, ("STORE-2", "MUG"): 2, ("STORE-2", "POSTER"): 3}
    ledger = {item["sku"]: item["on_hand"] for item in ok(api.get(f"{V1}/inventory?limit=100"))["data"]}
    assert ledger == {"MUG": 5, "SHIRT": 2, "POSTER": 3}


@pytest.mark.django_db(transaction=True)
def test_two_carts_racing_for_a_locations_last_units_one_wins(api):
    warehouse = location(api, "WH-1", priority=1)
    store = location(api, "STORE-2", priority=2)
    stock(api, warehouse["id"], LAMP=1)
    stock(api, store["id"], LAMP=1, BULB=1)
    ShippingRateFactory(merchant=api.merchant)
    # Both carts are planned from the warehouse (the ledger total of 2 would let both pass).
    sessions = [cart_session(api, [("LAMP", 1)]) for _ in range(2)]
    for checkout_id in sessions:
        plan = ok(propose(api, checkout_id), 201)
        assert plan["groups"][0]["location"]["code"] == "WH-1"
        ok(select(api, checkout_id, plan["id"]))

    def reserve(index):
        return session_reserve(merchant_id=api.merchant.pk, checkout_id=sessions[index], actor="test")

    results = run_together(2, reserve)
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], DomainError), results
    assert failures[0].code == "inventory_shortfall" and "LAMP at WH-1" in failures[0].explain
    assert ReservationAllocation.objects.filter(sku="LAMP").count() == 1


def test_planning_costs_the_same_queries_whatever_the_cart_size(api, stocked):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stock(api, stocked["warehouse"]["id"], **{f"EXTRA-{i}": 5 for i in range(8)})
    small = cart_session(api, [("SHIRT", 1), ("POSTER", 1)])
    large = cart_session(api, [("SHIRT", 1), ("POSTER", 1), *[(f"EXTRA-{i}", 1) for i in range(8)]])
    counts = []
    for checkout_id in (small, large):
        with CaptureQueriesContext(connection) as queries:
            ok(propose(api, checkout_id), 201)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
