from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from checkout.models import Reservation, StockItem, StockMovement
from checkout.services.inventory import reservation_commit
from config.celery import app as celery_app
from core.beat_schedule import register_schedule, unregister_schedule
from core.exceptions import DomainError, InvalidStateTransition
from tests.checkout.inventory_helpers import BASE, load_stock, new_session, reserve, stock_levels

pytestmark = pytest.mark.django_db


def test_commit_decrements_stock_exactly_once(api, session):
    load_stock(api, {"TSHIRT-M": 5, "MUG": 3})
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]

    committed = reservation_commit(reservation_id=reservation_id)
    assert committed.status == "committed"
    again = reservation_commit(reservation_id=reservation_id)
    assert again.status == "committed"

    levels = stock_levels(api)
    assert (levels["TSHIRT-M"]["on_hand"], levels["TSHIRT-M"]["reserved"]) == (3, 0)
    assert (levels["MUG"]["on_hand"], levels["MUG"]["reserved"]) == (2, 0)
    commits = StockMovement.objects.filter(reason="commit", reference=reservation_id)
    assert sorted(commits.values_list("stock_item__sku", "delta")) == [("MUG", -1), ("TSHIRT-M", -2)]
    timeline = list(committed.session.timeline.values_list("type", flat=True))
    assert timeline.count("reservation.committed") == 1
    assert api.get(f"{BASE}/reservations/{reservation_id}").json()["status"] == "committed"


def test_commit_of_a_released_hold_is_409(api, session):
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    api.post(f"{BASE}/reservations/{reservation_id}/release", format="json")
    with pytest.raises(InvalidStateTransition):
        reservation_commit(reservation_id=reservation_id)


def test_commit_scoped_to_a_merchant_is_404_for_another(api, other_api, session):
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    with pytest.raises(DomainError) as caught:
        reservation_commit(reservation_id=reservation_id, merchant_id=other_api.merchant.pk)
    assert caught.value.status_code == 404
    assert Reservation.objects.get(public_id=reservation_id).status == "active"


def test_a_lapsed_hold_commits_only_if_the_stock_is_still_there(api):
    load_stock(api, {"LAST": 1})
    first = new_session(api, [("LAST", 1)])
    lapsed_id = reserve(api, first).json()["reservation_id"]
    Reservation.objects.filter(public_id=lapsed_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    # Nobody took the unit meanwhile: the late commit goes through.
    assert reservation_commit(reservation_id=lapsed_id).status == "committed"
    assert StockItem.objects.get(sku="LAST").on_hand == 0

    load_stock(api, {"LAST": 1})
    second = new_session(api, [("LAST", 1)])
    stale_id = reserve(api, second).json()["reservation_id"]
    Reservation.objects.filter(public_id=stale_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    third = new_session(api, [("LAST", 1)])
    assert reserve(api, third).status_code == 201  # took the unit the lapsed hold gave up
    with pytest.raises(DomainError) as caught:
        reservation_commit(reservation_id=stale_id)
    assert caught.value.code == "inventory_shortfall"
    assert caught.value.extra["lines"] == [{"sku": "LAST", "requested": 1, "available": 0}]
    assert StockItem.objects.get(sku="LAST").on_hand == 1
    assert Reservation.objects.get(public_id=stale_id).status == "active"


def test_commit_under_the_none_provider_moves_no_stock(api, session):
    load_stock(api, {"MUG": 0})
    api.merchant.extra_settings = {"inventory_provider": "none"}
    api.merchant.save()
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    assert reservation_commit(reservation_id=reservation_id).status == "committed"
    assert StockItem.objects.get(sku="MUG").on_hand == 0


def test_beat_schedule_migration_registers_and_reverses():
    migration = import_module("checkout.migrations.0005_tidy_reservations_schedule")
    assert PeriodicTask.objects.filter(name="checkout.tidy_reservations", task="checkout.tidy_reservations").exists()
    celery_app.loader.import_default_modules()  # what a worker does at start
    assert "checkout.tidy_reservations" in celery_app.tasks
    unregister_schedule(django_apps, migration.SCHEDULE)
    assert not PeriodicTask.objects.filter(name="checkout.tidy_reservations").exists()
    assert PeriodicTask.objects.filter(name="checkout.expire_sessions").exists()  # shares the interval
    register_schedule(django_apps, migration.SCHEDULE)
    register_schedule(django_apps, migration.SCHEDULE)
    assert PeriodicTask.objects.filter(name="checkout.tidy_reservations").count() == 1


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def test_admin_stock_edit_goes_through_the_ledger(staff_client, api):
    response = staff_client.post(
        "/admin/checkout/stockitem/add/",
        {
            "merchant": api.merchant.pk,
            "sku": "ADMIN-SKU",
            "on_hand": 7,
            "movements-TOTAL_FORMS": 0,
            "movements-INITIAL_FORMS": 0,
        },  # fmt: skip
    )
    assert response.status_code == 302, response.content[:2000]
    item = StockItem.objects.get(sku="ADMIN-SKU")
    assert item.on_hand == 7
    movement = item.movements.get()
    assert (movement.reason, movement.delta, movement.actor) == ("set", 7, "staff:ops")
    response = staff_client.post(
        f"/admin/checkout/stockitem/{item.pk}/change/",
        {"on_hand": 4, "movements-TOTAL_FORMS": 1, "movements-INITIAL_FORMS": 1},
    )
    assert response.status_code == 302, response.content[:2000]
    assert list(item.movements.values_list("delta", flat=True)) == [7, -3]
    assert staff_client.get("/admin/checkout/stockitem/").status_code == 200


def test_admin_reservation_is_read_only_and_release_action_uses_the_service(staff_client, api, session):
    reservation_id = reserve(api, session["checkout_id"]).json()["reservation_id"]
    reservation = Reservation.objects.get(public_id=reservation_id)
    assert staff_client.get("/admin/checkout/reservation/").status_code == 200
    assert staff_client.get(f"/admin/checkout/reservation/{reservation.pk}/change/").status_code == 200
    response = staff_client.post(
        "/admin/checkout/reservation/", {"action": "release_holds", "_selected_action": [reservation.pk]}
    )
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == "released"
    assert reservation.session.timeline.filter(type="reservation.released", actor="staff:ops").exists()
