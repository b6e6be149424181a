"""Real races against PostgreSQL: threads, each with its own connection and API client."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from checkout.models import Reservation, ReservationLine, StockItem, StockMovement
from checkout.services.inventory import reservation_commit
from tests.checkout.inventory_helpers import BASE, load_stock, new_session

pytestmark = pytest.mark.django_db(transaction=True)

START_TIMEOUT = 30  # seconds for every thread to reach the start line
JOIN_TIMEOUT = 120  # seconds for the whole race


def race(count: int, work) -> list:
    """Runs work(i) in `count` threads released together; returns each result (or the
    exception it raised). Every thread closes its own database connection."""
    barrier = threading.Barrier(count, timeout=START_TIMEOUT)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # reported to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished (deadlock?)"
    return results


def _client(secret_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret_key}")
    return client


def _reserve_all(api, checkout_ids: list[str]) -> list[tuple[int, str | None]]:
    key = api.secrets.secret_key

    def work(index):
        response = _client(key).post(f"{BASE}/sessions/{checkout_ids[index]}/reserve", format="json")
        code = response.json().get("error", {}).get("code") if response.status_code != 201 else None
        return response.status_code, code

    return race(len(checkout_ids), work)


def test_fifty_sessions_racing_for_the_last_ten_units(api):
    load_stock(api, {"LAST": 10})
    checkout_ids = [new_session(api, [("LAST", 1)]) for _ in range(50)]

    results = _reserve_all(api, checkout_ids)

    assert results.count((201, None)) == 10, results
    assert results.count((409, "inventory_shortfall")) == 40, results
    assert Reservation.objects.filter(status="active").count() == 10
    held = sum(ReservationLine.objects.filter(sku="LAST").values_list("quantity", flat=True))
    assert held == 10
    assert StockItem.objects.get(sku="LAST").on_hand == 10


def test_multi_sku_carts_locking_in_opposite_orders_do_not_deadlock(api):
    load_stock(api, {"A": 5, "B": 5, "C": 5})
    forward = [("A", 1), ("B", 1), ("C", 1)]
    checkout_ids = [new_session(api, forward if i % 2 == 0 else forward[::-1]) for i in range(20)]

    results = _reserve_all(api, checkout_ids)

    assert results.count((201, None)) == 5, results
    assert results.count((409, "inventory_shortfall")) == 15, results
    for sku in "ABC":
        assert sum(ReservationLine.objects.filter(sku=sku).values_list("quantity", flat=True)) == 5


def test_concurrent_commits_of_one_hold_decrement_once(api):
    load_stock(api, {"MUG": 3})
    checkout_id = new_session(api, [("MUG", 2)])
    response = _client(api.secrets.secret_key).post(f"{BASE}/sessions/{checkout_id}/reserve", format="json")
    reservation_id = response.json()["reservation_id"]

    results = race(10, lambda _: reservation_commit(reservation_id=reservation_id).status)

    assert results == ["committed"] * 10, results
    assert StockItem.objects.get(sku="MUG").on_hand == 1
    assert StockMovement.objects.filter(reason="commit", reference=reservation_id).count() == 1


def test_best_fit_carts_racing_never_hold_more_than_there_is(api):
    """best_fit takes what is left of each line: under the race the partial holds must
    add up to exactly the stock, and every cart gets either its whole line, part, or a
    shortfall once nothing is left."""
    load_stock(api, {"FEW": 7})
    checkout_ids = [new_session(api, [("FEW", 2)]) for _ in range(8)]
    key = api.secrets.secret_key

    def work(index):
        response = _client(key).post(
            f"{BASE}/sessions/{checkout_ids[index]}/reserve", {"allocation_strategy": "best_fit"}, format="json"
        )
        body = response.json()
        if response.status_code == 201:
            return 201, body["lines"][0]["reserved"], body["partial"]
        return response.status_code, body["error"]["code"], None

    results = race(len(checkout_ids), work)

    held = sorted(r[1] for r in results if r[0] == 201)
    assert sum(held) == 7, results
    assert held.count(1) == 1 and held.count(2) == 3, results  # three whole lines, one part
    assert [r for r in results if r[0] != 201] == [(409, "inventory_shortfall", None)] * 4, results
    assert (
        sum(ReservationLine.objects.filter(sku="FEW", reservation__status="active").values_list("quantity", flat=True))
        == 7
    )
