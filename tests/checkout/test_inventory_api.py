from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import CheckoutSession, Reservation, StockItem, StockMovement
from tests.checkout.inventory_helpers import BASE, load_stock, new_session, reserve, stock_levels

pytestmark = pytest.mark.django_db


def _about(iso: str, minutes: float, tolerance: float = 0.5) -> bool:
    delta = timezone.datetime.fromisoformat(iso.replace("Z", "+00:00")) - timezone.now()
    return abs(delta.total_seconds() / 60 - minutes) <= tolerance


def _timeline_types(checkout_id):
    return list(CheckoutSession.objects.get(public_id=checkout_id).timeline.values_list("type", flat=True))


# --- reserve ---------------------------------------------------------------------------


def test_reserve_holds_every_line_and_moves_the_session(api, session):
    load_stock(api, {"TSHIRT-M": 5, "MUG": 3})
    response = reserve(api, session["checkout_id"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reservation_id"].startswith("res_")
    assert body["status"] == "active"
    assert body["checkout_id"] == session["checkout_id"]
    assert _about(body["expires_at"], 15)
    assert body["lines"] == [
        {"sku": "MUG", "requested": 1, "reserved": 1, "reserved_quantity": 1, "shortfall": 0, "tracked": True},
        {"sku": "TSHIRT-M", "requested": 2, "reserved": 2, "reserved_quantity": 2, "shortfall": 0, "tracked": True},
    ]
    assert (body["allocation_strategy"], body["partial"]) == ("fifo", False)
    after = api.get(f"{BASE}/sessions/{session['checkout_id']}").json()
    assert after["status"] == "reserved"
    assert after["reservation_id"] == body["reservation_id"]
    assert _timeline_types(session["checkout_id"])[-2:] == ["reservation.created", "status.reserved"]
    levels = stock_levels(api)
    assert (levels["TSHIRT-M"]["on_hand"], levels["TSHIRT-M"]["reserved"], levels["TSHIRT-M"]["available"]) == (5, 2, 3)
    assert levels["MUG"]["available"] == 2


def test_reserve_merges_a_sku_listed_twice(api):
    load_stock(api, {"PEN": 3})
    checkout_id = new_session(api, [("PEN", 2), ("PEN", 2)])
    response = reserve(api, checkout_id)
    assert response.status_code == 409
    assert response.json()["error"]["lines"] == [{"sku": "PEN", "requested": 4, "available": 3}]


def test_untracked_sku_is_always_available(api, session):
    load_stock(api, {"MUG": 1})  # TSHIRT-M has no ledger row
    body = reserve(api, session["checkout_id"]).json()
    assert {line["sku"]: line["tracked"] for line in body["lines"]} == {"MUG": True, "TSHIRT-M": False}


def test_shortfall_is_409_with_the_short_lines_and_holds_nothing(api, session):
    load_stock(api, {"TSHIRT-M": 1, "MUG": 5})
    response = reserve(api, session["checkout_id"])
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "inventory_shortfall"
    assert error["param"] == "lines"
    assert error["lines"] == [{"sku": "TSHIRT-M", "requested": 2, "available": 1}]
    assert Reservation.objects.count() == 0
    assert api.get(f"{BASE}/sessions/{session['checkout_id']}").json()["status"] == "created"
    assert stock_levels(api)["MUG"]["available"] == 5


def test_reserve_illegal_states_are_409(api, session):
    url = f"{BASE}/sessions/{session['checkout_id']}"
    assert reserve(api, session["checkout_id"]).status_code == 201
    again = reserve(api, session["checkout_id"])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_state_transition"
    assert api.delete(url).status_code == 200
    canceled = reserve(api, session["checkout_id"])
    assert canceled.status_code == 409
    assert canceled.json()["error"]["code"] == "invalid_state_transition"


def test_reserve_a_session_past_its_expiry_is_409(api, session):
    CheckoutSession.objects.filter(public_id=session["checkout_id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = reserve(api, session["checkout_id"])
    assert response.status_code == 409
    assert Reservation.objects.count() == 0


def test_reserve_other_tenant_or_missing_is_404(api, other_api, session):
    assert reserve(other_api, session["checkout_id"]).status_code == 404
    assert reserve(api, "cs_missing").status_code == 404
    assert Reservation.objects.count() == 0


def test_reserve_is_replayed_with_the_same_idempotency_key(api, session):
    url = f"{BASE}/sessions/{session['checkout_id']}/reserve"
    first = api.post(url, format="json", HTTP_IDEMPOTENCY_KEY="k-reserve-1")
    second = api.post(url, format="json", HTTP_IDEMPOTENCY_KEY="k-reserve-1")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second["Idempotent-Replayed"] == "true"
    assert Reservation.objects.count() == 1


def test_hold_length_follows_the_merchant_and_never_outlives_the_session(api, session):
    api.merchant.extra_settings = {"hold_minutes": 5}
    api.merchant.save()
    assert _about(reserve(api, session["checkout_id"]).json()["expires_at"], 5)

    short_lived = new_session(api, [("MUG", 1)])
    session_expiry = timezone.now() + timedelta(minutes=2)
    CheckoutSession.objects.filter(public_id=short_lived).update(expires_at=session_expiry)
    body = reserve(api, short_lived).json()
    assert _about(body["expires_at"], 2)


def test_unknown_provider_is_503(api, session):
    api.merchant.extra_settings = {"inventory_provider": "warehouse9"}
    api.merchant.save()
    response = reserve(api, session["checkout_id"])
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "inventory_provider_unavailable"


def test_none_provider_always_grants_and_records(api, session):
    load_stock(api, {"TSHIRT-M": 0, "MUG": 0})
    api.merchant.extra_settings = {"inventory_provider": "none"}
    api.merchant.save()
    response = reserve(api, session["checkout_id"])
    assert response.status_code == 201
    body = response.json()
    assert body["provider"] == "none"
    assert all(line["tracked"] is False for line in body["lines"])
    assert Reservation.objects.get(public_id=body["reservation_id"]).lines.count() == 2
    # Its holds never count against the ledger.
    assert stock_levels(api)["MUG"]["reserved"] == 0


# --- GET /reservations/{id} --------------------------------------------------------------


def test_get_reservation_and_tenancy(api, other_api, session):
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    response = api.get(f"{BASE}/reservations/{reservation_id}")
    assert response.status_code == 200
    assert response.json()["reservation_id"] == reservation_id
    assert other_api.get(f"{BASE}/reservations/{reservation_id}").status_code == 404
    assert api.get(f"{BASE}/reservations/res_missing").status_code == 404


# --- expiry ---------------------------------------------------------------------------------


def test_a_lapsed_hold_stops_counting_at_once(api):
    load_stock(api, {"LAST": 1})
    first = new_session(api, [("LAST", 1)])
    reservation_id = reserve(api, first).json()["reservation_id"]
    second = new_session(api, [("LAST", 1)])
    assert reserve(api, second).status_code == 409

    Reservation.objects.filter(public_id=reservation_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    # No job has run: the row still says active, yet it no longer holds anything.
    assert Reservation.objects.get(public_id=reservation_id).status == "active"
    assert api.get(f"{BASE}/reservations/{reservation_id}").json()["status"] == "expired"
    assert stock_levels(api)["LAST"]["available"] == 1
    assert reserve(api, second).status_code == 201


def test_tidy_job_flips_lapsed_holds_and_extend_of_a_lapsed_hold_is_409(api, session):
    from checkout.tasks import tidy_reservations

    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    Reservation.objects.filter(public_id=reservation_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.post(f"{BASE}/reservations/{reservation_id}/extend", format="json").status_code == 409
    assert tidy_reservations.delay().get() == 1
    assert Reservation.objects.get(public_id=reservation_id).status == "expired"
    assert _timeline_types(session["checkout_id"])[-1] == "reservation.expired"
    assert tidy_reservations.delay().get() == 0  # safe to run twice

    # The session is still `reserved`; it may take a fresh hold.
    again = reserve(api, session["checkout_id"])
    assert again.status_code == 201
    assert (
        api.get(f"{BASE}/sessions/{session['checkout_id']}").json()["reservation_id"]
        == (again.json()["reservation_id"])
    )


# --- extend ---------------------------------------------------------------------------------


def test_extend_moves_the_expiry_within_the_bounds(api, session):
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    url = f"{BASE}/reservations/{reservation_id}/extend"
    response = api.post(url, {"minutes": 30}, format="json")
    assert response.status_code == 200, response.content
    assert _about(response.json()["expires_at"], 30)
    assert _timeline_types(session["checkout_id"])[-1] == "reservation.extended"
    # Never past the session (60 minutes by default) ...
    assert _about(api.post(url, {"minutes": 60}, format="json").json()["expires_at"], 60)
    # ... and never shortened.
    assert _about(api.post(url, format="json").json()["expires_at"], 60)


@pytest.mark.parametrize(
    "body,param",
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": "soon"}, "minutes"),
        ({"minutes": 61}, "minutes"),  # above the merchant's max_hold_minutes (60)
        ({"minutes": 100000}, "minutes"),
        ({"hours": 1}, "hours"),
    ],
)
def test_extend_bad_input_is_400(api, session, body, param):
    reservation = reserve(api, session["checkout_id"]).json()
    response = api.post(f"{BASE}/reservations/{reservation['reservation_id']}/extend", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    unchanged = api.get(f"{BASE}/reservations/{reservation['reservation_id']}").json()
    assert unchanged["expires_at"] == reservation["expires_at"]


def test_extend_a_released_hold_is_409_and_other_tenant_404(api, other_api, session):
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    assert other_api.post(f"{BASE}/reservations/{reservation_id}/extend", format="json").status_code == 404
    assert api.post(f"{BASE}/reservations/{reservation_id}/release", format="json").status_code == 200
    response = api.post(f"{BASE}/reservations/{reservation_id}/extend", {"minutes": 5}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state_transition"


# --- release --------------------------------------------------------------------------------


def test_release_gives_stock_back_and_is_safe_to_repeat(api, other_api, session):
    load_stock(api, {"MUG": 1})
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    assert stock_levels(api)["MUG"]["available"] == 0
    assert other_api.post(f"{BASE}/reservations/{reservation_id}/release", format="json").status_code == 404
    response = api.post(f"{BASE}/reservations/{reservation_id}/release", format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "released"
    assert stock_levels(api)["MUG"]["available"] == 1
    assert _timeline_types(session["checkout_id"])[-1] == "reservation.released"
    again = api.post(f"{BASE}/reservations/{reservation_id}/release", format="json")
    assert again.status_code == 200
    assert _timeline_types(session["checkout_id"]).count("reservation.released") == 1


def test_release_a_committed_hold_is_409(api, session):
    from checkout.services.inventory import reservation_commit

    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    reservation_commit(reservation_id=reservation_id)
    response = api.post(f"{BASE}/reservations/{reservation_id}/release", format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state_transition"


# --- holds ---------------------------------------------------------------------------------


def test_holds_list_and_extend(api, other_api, session):
    checkout_id = session["checkout_id"]
    reservation_id = reserve(api, checkout_id).json()["reservation_id"]
    listing = api.get(f"{BASE}/sessions/{checkout_id}/holds")
    assert listing.status_code == 200
    assert [hold["reservation_id"] for hold in listing.json()["data"]] == [reservation_id]
    shopper = APIClient()
    shopper.credentials(HTTP_AUTHORIZATION=f"Bearer {session['client_token']}")
    assert shopper.get(f"{BASE}/sessions/{checkout_id}/holds").status_code == 200
    assert other_api.get(f"{BASE}/sessions/{checkout_id}/holds").status_code == 404

    extended = api.post(f"{BASE}/sessions/{checkout_id}/holds/extend", {"minutes": 45}, format="json")
    assert extended.status_code == 200
    assert extended.json()["reservation_id"] == reservation_id
    assert _about(extended.json()["expires_at"], 45)
    assert other_api.post(f"{BASE}/sessions/{checkout_id}/holds/extend", format="json").status_code == 404
    bad = api.post(f"{BASE}/sessions/{checkout_id}/holds/extend", {"minutes": -1}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "minutes"


def test_holds_extend_without_an_active_hold_is_409(api, session):
    response = api.post(f"{BASE}/sessions/{session['checkout_id']}/holds/extend", format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state_transition"


# --- cancel / expiry release ----------------------------------------------------------------


def test_cancel_releases_the_hold(api, session):
    load_stock(api, {"MUG": 1})
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    assert api.delete(f"{BASE}/sessions/{session['checkout_id']}").status_code == 200
    assert Reservation.objects.get(public_id=reservation_id).status == "released"
    assert stock_levels(api)["MUG"]["available"] == 1
    assert _timeline_types(session["checkout_id"])[-2:] == ["status.canceled", "reservation.released"]


def test_session_expiry_releases_the_hold(api, session):
    from checkout.services.sessions import sessions_expire_due

    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    CheckoutSession.objects.filter(public_id=session["checkout_id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert sessions_expire_due() == 1
    assert Reservation.objects.get(public_id=reservation_id).status == "released"
    assert api.get(f"{BASE}/sessions/{session['checkout_id']}").json()["status"] == "expired"


# --- inventory -------------------------------------------------------------------------------


def test_inventory_set_list_and_adjust(api):
    body = load_stock(api, {"B": 4, "A": 2, "C": 0})
    assert [(item["sku"], item["on_hand"]) for item in body["data"]] == [("A", 2), ("B", 4), ("C", 0)]
    load_stock(api, {"A": 7})
    first = api.get(f"{BASE}/inventory?limit=2").json()
    assert [item["sku"] for item in first["data"]] == ["A", "B"] and first["has_more"]
    rest = api.get(f"{BASE}/inventory?limit=2&cursor={first['next_cursor']}").json()
    assert [item["sku"] for item in rest["data"]] == ["C"] and not rest["has_more"]
    assert first["data"][0]["on_hand"] == 7
    assert api.get(f"{BASE}/inventory?sku=B").json()["data"][0]["on_hand"] == 4

    adjusted = api.post(f"{BASE}/inventory/B/adjust", {"delta": -3}, format="json")
    assert adjusted.status_code == 200
    assert adjusted.json()["on_hand"] == 1
    unknown = api.post(f"{BASE}/inventory/NEW-SKU/adjust", {"delta": 5}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "sku"
    assert not StockItem.objects.filter(sku="NEW-SKU").exists()
    reasons = StockMovement.objects.filter(stock_item__sku="B").values_list("reason", "delta", "on_hand_after")
    assert list(reasons) == [("set", 4, 4), ("adjust", -3, 1)]


@pytest.mark.parametrize(
    "body,param",
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": [{"sku": "A", "on_hand": -1}]}, "items[0].on_hand"),
        ({"items": [{"sku": "A", "on_hand": 1.5}]}, "items[0].on_hand"),
        ({"items": [{"on_hand": 1}]}, "items[0].sku"),
        ({"items": [{"sku": "A", "on_hand": 1}, {"sku": "A", "on_hand": 2}]}, "items"),
        ({"items": [{"sku": "A", "on_hand": 1}], "extra": 1}, "extra"),
    ],
)
def test_inventory_set_bad_input_is_400_and_writes_nothing(api, body, param):
    response = api.post(f"{BASE}/inventory", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    assert StockItem.objects.count() == 0


def test_inventory_adjust_bad_input_and_below_zero(api):
    load_stock(api, {"A": 2})
    for body, param in [({"delta": 0}, "delta"), ({}, "delta"), ({"delta": "x"}, "delta")]:
        response = api.post(f"{BASE}/inventory/A/adjust", body, format="json")
        assert response.status_code == 400 and response.json()["error"]["param"] == param
    too_long = api.post(f"{BASE}/inventory/{'X' * 101}/adjust", {"delta": 1}, format="json")
    assert too_long.status_code == 400 and too_long.json()["error"]["param"] == "sku"
    below = api.post(f"{BASE}/inventory/A/adjust", {"delta": -3}, format="json")
    assert below.status_code == 409
    assert below.json()["error"]["code"] == "stock_would_go_negative"
    assert StockItem.objects.get(sku="A").on_hand == 2


def test_inventory_is_per_merchant(api, other_api):
    load_stock(api, {"A": 2})
    assert other_api.get(f"{BASE}/inventory").json()["data"] == []
    assert other_api.post(f"{BASE}/inventory/A/adjust", {"delta": 9}, format="json").status_code == 404
    load_stock(other_api, {"A": 9})
    assert stock_levels(api)["A"]["on_hand"] == 2
    assert stock_levels(other_api)["A"]["on_hand"] == 9
