"""POST /sessions/{id}/finalize (+ async, rollback) and GET /orders/{id}: one paid session,
exactly one order; a failure after payment gives the money back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checkout.models import CheckoutSession, FinalizationJob, Order, Reservation, StockItem
from merchants.models import Event
from payments.models import PaymentTransaction
from tests.checkout.finalize_helpers import (
    finalize,
    paid_session,
    pay,
    place,
    ready_session,
    session_url,
    set_merchant,
    status_of,
    timeline_types,
)
from tests.checkout.inventory_helpers import load_stock
from tests.checkout.pricing_helpers import promotion
from tests.payments.helpers import DIGITAL_CART, V1, create_intent, ok

pytestmark = pytest.mark.django_db


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


@pytest.mark.django_db(transaction=True)
def test_api_only_journey_with_merchant_approval_ends_in_one_order(api):
    """session → calculate → place → approve → intent → confirm 4242 → finalize."""
    set_merchant(api.merchant, approval_mode="merchant")
    cart = {**DIGITAL_CART, "return_urls": {**DIGITAL_CART["return_urls"], "callback_url": "http://127.0.0.1:9/cb"}}
    checkout_id = ready_session(api, cart)["checkout_id"]
    assert ok(place(api, checkout_id))["status"] == "awaiting_approval"
    # The merchant reads the session (price, stock), then approves.
    assert ok(api.get(session_url(checkout_id)))["totals"]["grand_total"] == 5000
    ok(api.post(session_url(checkout_id, "approve"), {}, format="json"))
    paid = pay(api, checkout_id)
    assert paid["status"] == "succeeded"

    response = finalize(api, checkout_id)
    body = ok(response, 201)
    order = body["order"]
    assert body["created"] is True and order["id"].startswith("ord_")
    assert (order["amount"], order["currency"], order["payment_status"]) == (5000, "USD", "captured")
    assert order["payment_intent_id"] == paid["id"] and order["checkout_id"] == checkout_id
    assert [line["sku"] for line in order["lines"]] == ["EBOOK", "COURSE"]
    assert order["customer"]["email"] == "ada@example.com"
    assert (
        order["receipt"]["receipt_id"].startswith("rcpt_") and order["receipt"]["formatted"]["grand_total"] == "$50.00"
    )

    assert status_of(checkout_id) == "completed"
    assert Order.objects.filter(session__public_id=checkout_id).count() == 1
    completed = Event.objects.get(type="checkout.completed", checkout_id=checkout_id)
    assert completed.data["order_id"] == order["id"] and completed.callback_url == "http://127.0.0.1:9/cb"
    types = timeline_types(api, checkout_id)
    assert {"status.awaiting_approval", "status.approved", "payment.succeeded", "order.created"} <= set(types)
    # The confirmation email, sent after the order committed, is the last word.
    assert types[-2:] == ["status.completed", "order.confirmation_emailed"]

    # Again: the same order, nothing new.
    again = ok(finalize(api, checkout_id), 200)
    assert again["created"] is False and again["order"]["id"] == order["id"]
    assert Event.objects.filter(type="checkout.completed", checkout_id=checkout_id).count() == 1
    assert ok(api.get(f"{V1}/orders/{order['id']}"))["id"] == order["id"]


def test_auto_approval_path(api):
    checkout_id = ready_session(api)["checkout_id"]
    ok(place(api, checkout_id))
    pay(api, checkout_id)
    order = ok(finalize(api, checkout_id), 201)["order"]
    assert status_of(checkout_id) == "completed"
    # No reservation was taken: finalize reserved and committed in one step.
    reservation = Reservation.objects.get(public_id=order["reservation_id"])
    assert reservation.status == "committed" and reservation.provider == "ledger"


def test_manual_capture_authorized_payment_may_be_finalized(api):
    paid = paid_session(api, capture_mode="manual")
    assert paid["payment"]["status"] == "requires_capture"
    order = ok(finalize(api, paid["checkout_id"]), 201)["order"]
    assert (order["payment_status"], order["amount_captured"]) == ("authorized", 0)
    assert PaymentTransaction.objects.get(public_id=paid["payment"]["id"]).state == "authorized"


def test_finalize_before_payment_is_refused(api):
    session = ready_session(api)
    checkout_id = session["checkout_id"]
    _error(finalize(api, checkout_id), 409, "invalid_state_transition")
    create_intent(api, checkout_id)
    error = _error(finalize(api, checkout_id), 409, "payment_not_settled")
    assert error["explain"].endswith("is pending")
    assert status_of(checkout_id) == "payment_processing" and not Order.objects.exists()


def test_finalize_bad_input_other_tenant_and_replay(api, other_api):
    checkout_id = paid_session(api)["checkout_id"]
    response = api.post(session_url(checkout_id, "finalize"), {"force": True}, format="json")
    assert response.status_code == 400 and response.json()["error"]["param"] == "force"
    _error(finalize(other_api, checkout_id), 404, "resource_missing")
    first = finalize(api, checkout_id, HTTP_IDEMPOTENCY_KEY="fin-1")
    replay = finalize(api, checkout_id, HTTP_IDEMPOTENCY_KEY="fin-1")
    assert first.status_code == replay.status_code == 201
    assert replay.content == first.content and replay["Idempotent-Replayed"] == "true"
    order_id = first.json()["order"]["id"]
    _error(other_api.get(f"{V1}/orders/{order_id}"), 404, "resource_missing")
    _error(api.get(f"{V1}/orders/ord_doesnotexist"), 404, "resource_missing")


def test_finalize_commits_the_reservation_and_redeems_the_promotion(api):
    load_stock(api, {"EBOOK": 5})
    promo = promotion(api.merchant, code="TEN", usage_limit=3)
    session = ok(api.post(f"{V1}/sessions", {**DIGITAL_CART, "promotion_codes": ["TEN"]}, format="json"), 201)
    checkout_id = session["checkout_id"]
    ok(api.post(session_url(checkout_id, "customer"), {"email": "a@example.com"}, format="json"))
    ok(api.post(session_url(checkout_id, "calculate"), {}, format="json"))
    assert ok(api.get(session_url(checkout_id)))["totals"]["grand_total"] == 4500
    reservation_id = ok(api.post(session_url(checkout_id, "reserve"), {}, format="json"), 201)["reservation_id"]
    pay(api, checkout_id)

    order = ok(finalize(api, checkout_id), 201)["order"]
    assert order["reservation_id"] == reservation_id and order["amount"] == 4500
    assert Reservation.objects.get(public_id=reservation_id).status == "committed"
    assert StockItem.objects.get(merchant=api.merchant, sku="EBOOK").on_hand == 3
    promo.refresh_from_db()
    assert promo.times_redeemed == 1
    ok(finalize(api, checkout_id), 200)
    promo.refresh_from_db()
    assert promo.times_redeemed == 1 and StockItem.objects.get(sku="EBOOK").on_hand == 3


def test_shortfall_at_commit_refunds_the_capture_and_fails_the_session(api):
    load_stock(api, {"EBOOK": 2})
    checkout_id = ready_session(api)["checkout_id"]
    ok(api.post(session_url(checkout_id, "reserve"), {}, format="json"), 201)
    payment_id = pay(api, checkout_id)["id"]
    # The hold lapses and another cart takes the last units before finalize.
    Reservation.objects.filter(session__public_id=checkout_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    rival = ok(api.post(f"{V1}/sessions", DIGITAL_CART, format="json"), 201)["checkout_id"]
    ok(api.post(session_url(rival, "reserve"), {}, format="json"), 201)

    error = _error(finalize(api, checkout_id), 409, "finalization_failed")
    assert (error["cause"], error["compensation"]) == ("inventory_shortfall", "refunded")
    assert error["lines"] == [{"sku": "EBOOK", "requested": 2, "available": 0}]

    payment = PaymentTransaction.objects.get(public_id=payment_id)
    assert (payment.state, payment.amount_refunded) == ("refunded", 5000)
    session = CheckoutSession.objects.get(public_id=checkout_id)
    assert session.status == "failed" and "stock has since been taken" in session.status_reason
    assert session.closing_claimed_at is None
    assert not Order.objects.filter(session=session).exists()
    assert StockItem.objects.get(sku="EBOOK").on_hand == 2  # nothing was committed
    alert = Event.objects.get(type="checkout.finalization_failed", checkout_id=checkout_id)
    assert (alert.data["code"], alert.data["compensation"]) == ("inventory_shortfall", "refunded")
    assert {"finalization.failed", "status.failed"} <= set(timeline_types(api, checkout_id))
    # Finalizing again is refused: the session has failed.
    _error(finalize(api, checkout_id), 409, "invalid_state_transition")


def test_shortfall_without_a_hold_voids_an_authorization(api):
    load_stock(api, {"EBOOK": 1})
    paid = paid_session(api, capture_mode="manual")
    error = _error(finalize(api, paid["checkout_id"]), 409, "finalization_failed")
    assert error["compensation"] == "voided"
    assert PaymentTransaction.objects.get(public_id=paid["payment"]["id"]).state == "cancelled"
    assert status_of(paid["checkout_id"]) == "failed"


def test_finalize_async_reports_the_order(api, django_capture_on_commit_callbacks):
    checkout_id = paid_session(api)["checkout_id"]
    with django_capture_on_commit_callbacks(execute=True):
        job = ok(api.post(session_url(checkout_id, "finalize/async"), {}, format="json"), 202)
    assert job["job_id"].startswith("fin_") and job["status"] == "queued"
    done = ok(api.get(f"{V1}/finalizations/{job['job_id']}"))
    order = Order.objects.get(session__public_id=checkout_id)
    assert (done["status"], done["order_id"], done["error"]) == ("succeeded", order.public_id, None)
    assert {"finalization.queued", "finalization.succeeded"} <= set(timeline_types(api, checkout_id))


def test_finalize_async_failure_and_one_active_job(api, other_api, django_capture_on_commit_callbacks):
    checkout_id = ready_session(api)["checkout_id"]
    first = ok(api.post(session_url(checkout_id, "finalize/async"), {}, format="json"), 202)
    # Not yet run (nothing committed in this test): a repeat joins the queued job.
    again = ok(api.post(session_url(checkout_id, "finalize/async"), {}, format="json"), 202)
    assert again["job_id"] == first["job_id"] and FinalizationJob.objects.count() == 1
    _error(other_api.get(f"{V1}/finalizations/{first['job_id']}"), 404, "resource_missing")

    from checkout.tasks import run_finalization_job

    assert run_finalization_job(FinalizationJob.objects.get().pk) == "failed"
    assert run_finalization_job(FinalizationJob.objects.get().pk) == "failed"  # delivered twice: no change
    failed = ok(api.get(f"{V1}/finalizations/{first['job_id']}"))
    assert failed["status"] == "failed" and failed["error"]["code"] == "invalid_state_transition"
    assert failed["order_id"] is None and failed["attempts"] == 1


def test_rollback_gives_the_money_back_and_fails_the_session(api):
    load_stock(api, {"EBOOK": 5})
    checkout_id = ready_session(api)["checkout_id"]
    reservation_id = ok(api.post(session_url(checkout_id, "reserve"), {}, format="json"), 201)["reservation_id"]
    payment_id = pay(api, checkout_id)["id"]

    body = ok(api.post(session_url(checkout_id, "finalize/rollback"), {}, format="json"))
    assert (body["status"], body["payment"], body["holds_released"]) == ("failed", "refunded", 1)
    assert body["status_reason"] == "Finalization was rolled back."
    assert PaymentTransaction.objects.get(public_id=payment_id).state == "refunded"
    assert Reservation.objects.get(public_id=reservation_id).status == "released"
    types = timeline_types(api, checkout_id)
    assert {"finalization.rollback_started", "finalization.rolled_back", "status.failed"} <= set(types)
    # Once more: the session failed, the money is back; still audited, nothing moves.
    again = ok(api.post(session_url(checkout_id, "finalize/rollback"), {}, format="json"))
    assert (again["payment"], again["holds_released"]) == ("nothing_held", 0)


def test_rollback_refuses_a_finalized_session_and_an_open_one(api, other_api):
    checkout_id = paid_session(api)["checkout_id"]
    ok(finalize(api, checkout_id), 201)
    _error(api.post(session_url(checkout_id, "finalize/rollback"), {}, format="json"), 409, "order_exists")
    _error(other_api.post(session_url(checkout_id, "finalize/rollback"), {}, format="json"), 404, "resource_missing")
    fresh = ready_session(api)["checkout_id"]
    _error(api.post(session_url(fresh, "finalize/rollback"), {}, format="json"), 409, "invalid_state_transition")
    assert status_of(checkout_id) == "completed"


@pytest.mark.django_db(transaction=True)
def test_finalize_async_on_a_real_worker(api, celery_worker):
    from tests.celery_worker import wait_until

    checkout_id = paid_session(api)["checkout_id"]
    job = ok(api.post(session_url(checkout_id, "finalize/async"), {}, format="json"), 202)

    def finished():
        body = ok(api.get(f"{V1}/finalizations/{job['job_id']}"))
        return body if body["status"] in ("succeeded", "failed") else None

    done = wait_until(finished, timeout=60)
    assert done["status"] == "succeeded", done
    assert done["order_id"] == Order.objects.get(session__public_id=checkout_id).public_id
    assert status_of(checkout_id) == "completed"


def test_rollback_waits_while_another_process_is_closing_the_session(api):
    from django.utils import timezone

    checkout_id = ready_session(api)["checkout_id"]
    payment_id = pay(api, checkout_id)["id"]
    CheckoutSession.objects.filter(public_id=checkout_id).update(
        status="closing", closing_claimed_at=timezone.now(), closing_intent_id=payment_id, closing_kind="fail"
    )

    _error(api.post(session_url(checkout_id, "finalize/rollback"), {}, format="json"), 409, "closing_in_progress")
    assert PaymentTransaction.objects.get(public_id=payment_id).state == "completed", "no second give-back"


def test_order_payment_status_follows_the_payment_after_finalize(api, django_capture_on_commit_callbacks):
    """Refunds and a later capture move the payment after the order was written: the order
    (API, receipt, back office) says where the payment stands now, not what finalize saw."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.refunds.helpers import request_refund

    paid = paid_session(api)
    order_id = ok(finalize(api, paid["checkout_id"]), 201)["order"]["id"]
    intent_id = paid["payment"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent_id, amount=1500), 201)
    assert ok(api.get(f"{V1}/orders/{order_id}"))["payment_status"] == "partially_refunded"
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent_id), 201)
    order = ok(api.get(f"{V1}/orders/{order_id}"))
    assert (order["payment_status"], order["amount_captured"]) == ("refunded", 5000)
    again = ok(finalize(api, paid["checkout_id"]))
    assert (again["created"], again["order"]["payment_status"]) == (False, "refunded")

    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-not-used-elsewhere"))
    pk = Order.objects.get(public_id=order_id).pk
    detail = staff.get(f"/admin/checkout/order/{pk}/change/").content.decode()
    assert "refunded" in detail
    listed = staff.get("/admin/checkout/order/", {"payment_status": "refunded"}).content.decode()
    assert order_id in listed
    assert order_id not in staff.get("/admin/checkout/order/", {"payment_status": "captured"}).content.decode()


@pytest.mark.parametrize("amount", [None, 3000])
def test_a_manual_capture_after_finalize_is_the_orders_money(api, django_capture_on_commit_callbacks, amount):
    """Authorize at checkout, capture at shipment: the capture's notice reaches a completed
    session, whose order it pays; it is never taken for a late payment and given back."""
    paid = paid_session(api, capture_mode="manual")
    order_id = ok(finalize(api, paid["checkout_id"]), 201)["order"]["id"]
    intent_id = paid["payment"]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        body = {} if amount is None else {"amount": amount}
        captured = ok(api.post(f"{V1}/payment-intents/{intent_id}/capture", body, format="json"))
    assert captured["status"] == "succeeded", captured
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert payment.state == "completed" and payment.amount_refunded == 0
    order = ok(api.get(f"{V1}/orders/{order_id}"))
    assert (order["payment_status"], order["amount_captured"]) == ("captured", amount or 5000)
    types = timeline_types(api, paid["checkout_id"])
    assert "payment.succeeded" in types and "payment.returning" not in types
    assert Order.objects.get(public_id=order_id).payment_status == "authorized"  # the snapshot stays
