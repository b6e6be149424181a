"""Sections 5 (inventory reservation) and 14 (holds) of the API document: its bodies
verbatim, each documented response field by name, and what each allocation strategy means."""

import pytest

from checkout.models import CheckoutSession, Reservation, StockItem
from tests.contract.flow import (
    V1,
    calculate,
    create_session,
    document_body,
    document_merchant,
    give_lines,
    ok,
    select_shipping,
    set_addresses,
    set_customer,
)
from tests.contract.seed import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkout_id(api, merchant):
    document_merchant(merchant)
    session = create_session(api, owner__type="guest", options__capture_mode="auto")
    checkout_id = session["checkout_id"]
    give_lines(api, checkout_id, session["version"])
    set_customer(api, checkout_id)
    set_addresses(api, checkout_id)
    select_shipping(api, checkout_id)
    calculate(api, checkout_id)
    return checkout_id


def _stock(merchant, **on_hand):
    for sku, count in on_hand.items():
        StockItem.objects.filter(merchant=merchant, sku=sku.replace("_", "-")).update(on_hand=count)


def _reserve(api, checkout_id, body):
    return api.post(f"{V1}/sessions/{checkout_id}/reserve", body, format="json")


@pytest.mark.parametrize("strategy", ["best_fit", "fifo"])
def test_reserve_takes_the_document_body(api, checkout_id, strategy):
    body = document_body("POST", "sessions/{checkoutId}/reserve", allocation_strategy=strategy)
    assert body == {"expires_in_seconds": 900, "allocation_strategy": strategy}
    response = _reserve(api, checkout_id, body)
    assert response.status_code == 201, response.content
    reservation = response.json()
    # → returns `reservation_id` and per-line reserved qty
    assert reservation["reservation_id"].startswith("res_")
    assert response["Location"] == f"http://testserver{V1}/reservations/{reservation['reservation_id']}"
    assert [(line["sku"], line["requested"], line["reserved"], line["shortfall"]) for line in reservation["lines"]] == [
        ("BOOK-1", 1, 1, 0),
        ("MUG", 2, 2, 0),
    ]
    assert (reservation["allocation_strategy"], reservation["partial"]) == (strategy, False)
    held = Reservation.objects.get(public_id=reservation["reservation_id"])
    seconds = (held.expires_at - held.created_at).total_seconds()
    assert 895 <= seconds <= 901
    session = ok(api.get(f"{V1}/sessions/{checkout_id}"))
    assert (session["status"], session["reservation_id"]) == ("reserved", reservation["reservation_id"])


def test_explicit_lots_is_refused_naming_it(api, checkout_id):
    body = document_body("POST", "sessions/{checkoutId}/reserve", allocation_strategy="explicit_lots")
    response = _reserve(api, checkout_id, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("allocation_strategy_unsupported", "allocation_strategy")
    assert not Reservation.objects.exists()


def test_fifo_is_all_or_nothing_with_an_explained_shortfall(api, checkout_id, merchant):
    _stock(merchant, MUG=1)
    response = _reserve(api, checkout_id, {"expires_in_seconds": 900, "allocation_strategy": "fifo"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "inventory_shortfall"
    assert error["explain"] == "MUG: requested 2, available 1"
    assert error["lines"] == [{"sku": "MUG", "requested": 2, "available": 1}]
    assert not Reservation.objects.exists()


def test_best_fit_holds_what_is_there_and_blocks_payment_until_the_cart_fits(api, checkout_id, merchant):
    _stock(merchant, MUG=1)
    reservation = ok(_reserve(api, checkout_id, {"expires_in_seconds": 900, "allocation_strategy": "best_fit"}), 201)
    assert reservation["partial"] is True
    assert {line["sku"]: (line["reserved"], line["shortfall"]) for line in reservation["lines"]} == {
        "BOOK-1": (1, 0),
        "MUG": (1, 1),
    }
    session = ok(api.get(f"{V1}/sessions/{checkout_id}"))
    # The shopper can still change the cart; payment waits.
    assert session["status"] == "collecting" and session["reservation_id"] == reservation["reservation_id"]
    blockers = {b["code"] for b in ok(api.post(f"{V1}/sessions/{checkout_id}/validate"))["blockers"]}
    assert "inventory_shortfall" in blockers
    paying = api.post(f"{V1}/sessions/{checkout_id}/payment-intents", {}, format="json")
    assert paying.status_code == 409 and paying.json()["error"]["code"] == "inventory_shortfall"

    # The cart changes to what is there: the partial hold is given back, a new one fits.
    lines = [{"sku": "BOOK-1", "name": "A novel", "quantity": 1, "unit_amount": 2500},
             {"sku": "MUG", "name": "Mug", "quantity": 1, "unit_amount": 1250}]  # fmt: skip
    ok(api.patch(f"{V1}/sessions/{checkout_id}", {"lines": lines}, format="json"))
    assert Reservation.objects.get(public_id=reservation["reservation_id"]).status == "released"
    calculate(api, checkout_id)
    whole = ok(_reserve(api, checkout_id, {"allocation_strategy": "best_fit"}), 201)
    assert whole["partial"] is False
    assert CheckoutSession.objects.get(public_id=checkout_id).status == "reserved"


def test_best_fit_with_nothing_at_all_is_a_shortfall(api, checkout_id, merchant):
    _stock(merchant, MUG=0, BOOK_1=0)
    response = _reserve(api, checkout_id, {"allocation_strategy": "best_fit"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "inventory_shortfall"


def test_a_partial_hold_is_replaced_by_a_new_reserve(api, checkout_id, merchant):
    _stock(merchant, MUG=1)
    partial = ok(_reserve(api, checkout_id, {"allocation_strategy": "best_fit"}), 201)
    _stock(merchant, MUG=5)
    again = ok(_reserve(api, checkout_id, {"allocation_strategy": "fifo"}), 201)
    assert again["partial"] is False
    assert Reservation.objects.get(public_id=partial["reservation_id"]).status == "released"


@pytest.mark.parametrize("seconds", [0, 3601, "soon"])
def test_expires_in_seconds_is_bounded(api, checkout_id, seconds):
    response = _reserve(api, checkout_id, {"expires_in_seconds": seconds})
    assert response.status_code == 400 and response.json()["error"]["param"] == "expires_in_seconds"


def test_reservation_status_extend_and_release(api, checkout_id):
    reservation = ok(_reserve(api, checkout_id, {"expires_in_seconds": 120}), 201)
    url = f"{V1}/reservations/{reservation['reservation_id']}"
    # GET: reservation status and expiry
    got = ok(api.get(url))
    assert (got["status"], got["expires_at"]) == ("active", reservation["expires_at"])
    extended = ok(api.post(f"{url}/extend", {"expires_in_seconds": 900}, format="json"))
    assert extended["expires_at"] > reservation["expires_at"]
    released = ok(api.post(f"{url}/release"))
    assert released["status"] == "released"


# --- 14. holds ---------------------------------------------------------------------------------


def test_holds_list_and_extend(api, checkout_id):
    assert example("GET", "sessions/{checkoutId}/holds").method == "GET"
    reservation = ok(_reserve(api, checkout_id, {"expires_in_seconds": 120}), 201)
    holds = ok(api.get(f"{V1}/sessions/{checkout_id}/holds"))
    assert [(h["reservation_id"], h["status"]) for h in holds["data"]] == [(reservation["reservation_id"], "active")]
    extended = ok(api.post(f"{V1}/sessions/{checkout_id}/holds/extend", {}, format="json"))
    assert extended["reservation_id"] == reservation["reservation_id"]
    assert extended["expires_at"] > reservation["expires_at"]
