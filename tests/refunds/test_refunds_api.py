"""Refunds by API: full and partial, what is refused and why, lists and tenants."""

import pytest

from core.exceptions import DomainError
from merchants.models import Event
from payments.models import PaymentTransaction
from payments.simulator.models import SimulatorCharge
from refunds.models import RefundEvent, RefundRequest
from tests.payments.helpers import V1, confirm, ok, paid_intent
from tests.refunds.helpers import CAPTURED, captured_intent, paid_lines, refund_detail, refund_url, request_refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def intent_id(api):
    return captured_intent(api)


def test_partial_then_full_refund(api, intent_id, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = ok(request_refund(api, intent_id, amount=1500, note="one book returned"), 201)
    # Answered before the commit: approved; sent to the gateway once committed.
    assert created["status"] == "approved"
    first = ok(refund_detail(api, created["id"]))
    assert first["object"] == "refund" and first["id"].startswith("re_")
    assert (first["status"], first["amount"], first["currency"], first["payment_intent"]) == (
        "completed",
        1500,
        "USD",
        intent_id,
    )
    assert first["review"]["auto_approved"] is True and first["requested_by"].startswith("merchant:sk_test_")
    payment = ok(api.get(f"{V1}/payment-intents/{intent_id}"))
    assert (payment["status"], payment["amount_refunded"]) == ("partially_refunded", 1500)

    with django_capture_on_commit_callbacks(execute=True):
        rest = ok(request_refund(api, intent_id), 201)  # no amount: all that is left
    rest = ok(refund_detail(api, rest["id"]))
    assert (rest["status"], rest["amount"]) == ("completed", CAPTURED - 1500)
    payment = ok(api.get(f"{V1}/payment-intents/{intent_id}"))
    assert (payment["status"], payment["amount_refunded"]) == ("refunded", CAPTURED)
    assert SimulatorCharge.objects.get().amount_refunded == CAPTURED

    types = list(
        Event.objects.filter(merchant=api.merchant, type__startswith="refund.")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types == ["refund.created", "refund.approved", "refund.completed"] * 2
    completed = Event.objects.filter(type="refund.completed").order_by("id").last()
    assert completed.payment_intent_id == intent_id and completed.data["after"]["status"] == "completed"
    states = list(
        RefundEvent.objects.filter(refund__public_id=rest["id"])
        .exclude(to_state="")
        .values_list("from_state", "to_state")
    )
    assert states == [("", "pending"), ("pending", "approved"), ("approved", "processing"), ("processing", "completed")]

    refused = request_refund(api, intent_id, amount=1)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "refund_exceeds_captured"


def test_a_refund_above_what_is_left_is_refused_and_writes_nothing(api, intent_id):
    ok(request_refund(api, intent_id, amount=3000), 201)  # approved, still in flight
    response = request_refund(api, intent_id, amount=2001)
    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["code"], error["param"], error["refundable_amount"]) == ("refund_exceeds_captured", "amount", 2000)
    assert RefundRequest.objects.count() == 1
    assert ok(request_refund(api, intent_id, amount=2000), 201)["status"] == "approved"


def test_lines_and_receipt_email_are_kept_and_the_shopper_gets_the_receipt(
    api, intent_id, mailoutbox, django_capture_on_commit_callbacks
):
    bought = paid_lines(intent_id)
    lines = [{"line_id": bought[sku]["line_id"], "quantity": 1} for sku in ("EBOOK", "COURSE")]
    with django_capture_on_commit_callbacks(execute=True):
        refund = ok(request_refund(api, intent_id, amount=1500, lines=lines, receipt_email="shopper@example.com"), 201)
    assert refund["lines"] == lines and refund["receipt_email"] == "shopper@example.com"
    [receipt] = [m for m in mailoutbox if m.to == ["shopper@example.com"]]
    assert "$15.00" in receipt.body and refund["id"] in receipt.body and api.merchant.name in receipt.subject


def test_no_receipt_without_an_address(api, intent_id, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        refund = ok(request_refund(api, intent_id, amount=100), 201)
    assert ok(refund_detail(api, refund["id"]))["status"] == "completed"
    assert mailoutbox == []


@pytest.mark.parametrize(
    "body,param",
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": 100, "reason": "changed_mind"}, "reason"),
        ({"amount": 100, "reason": "other"}, "note"),
        ({"amount": 100, "lines": [{"line_id": "l1", "quantity": 0}]}, "lines[0].quantity"),
        ({"amount": 100, "lines": [{"line_id": "l1", "quantity": 1}, {"line_id": "l1", "quantity": 2}]}, "lines"),
        ({"amount": 100, "lines": [{"quantity": 1}]}, "lines[0].line_id"),
        ({"amount": 100, "receipt_email": "not-an-email"}, "receipt_email"),
        ({"amount": 100, "currency": "EUR"}, "currency"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api, intent_id, body, param):
    response = request_refund(api, intent_id, **body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    assert RefundRequest.objects.count() == 0


def test_reason_defaults_to_requested_by_customer(api, intent_id):
    # The API document's refund call carries no body.
    refund = ok(api.post(refund_url(intent_id), {"amount": 100}, format="json"), 201)
    assert refund["reason"] == "requested_by_customer"
    assert RefundRequest.objects.get(public_id=refund["id"]).reason == "requested_by_customer"


def test_an_uncaptured_authorization_is_refused_void_it_instead(api):
    _, intent = paid_intent(api, capture_mode="manual")
    assert ok(confirm(api, intent["id"]))["status"] == "requires_capture"
    response = request_refund(api, intent["id"], amount=100)
    error = response.json()["error"]
    assert response.status_code == 409 and error["code"] == "payment_not_captured"
    assert "cancel" in error["message"] and RefundRequest.objects.count() == 0


def test_an_unpaid_intent_is_refused(api):
    _, intent = paid_intent(api)
    response = request_refund(api, intent["id"], amount=100)
    assert response.status_code == 409 and response.json()["error"]["code"] == "payment_not_captured"


def test_another_merchants_payment_and_refund_are_404(api, other_api, intent_id):
    refund = ok(request_refund(api, intent_id, amount=100), 201)
    response = request_refund(other_api, intent_id, amount=100)
    assert response.status_code == 404 and response.json()["error"]["code"] == "resource_missing"
    assert refund_detail(other_api, refund["id"]).status_code == 404
    answer = other_api.post(f"{V1}/refunds/{refund['id']}/information", {"information": "x"}, format="json")
    assert answer.status_code == 404
    assert ok(other_api.get(f"{V1}/refunds"))["data"] == []
    assert request_refund(api, "pi_doesnotexist", amount=100).status_code == 404


def test_the_publishable_key_cannot_refund(api, intent_id):
    from tests.payments.helpers import publishable_client

    assert request_refund(publishable_client(api), intent_id, amount=100).status_code in (401, 403)
    assert RefundRequest.objects.count() == 0


def test_create_is_idempotent(api, intent_id):
    headers = {"HTTP_IDEMPOTENCY_KEY": "refund-once"}
    first = api.post(refund_url(intent_id), {"amount": 700, "reason": "duplicate"}, format="json", **headers)
    again = api.post(refund_url(intent_id), {"amount": 700, "reason": "duplicate"}, format="json", **headers)
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert first.content == again.content and RefundRequest.objects.count() == 1
    other = api.post(refund_url(intent_id), {"amount": 701, "reason": "duplicate"}, format="json", **headers)
    assert other.status_code == 422


def test_detail_and_list_with_filters_and_cursor(api, django_capture_on_commit_callbacks):
    first_intent, second_intent = captured_intent(api), captured_intent(api)
    ids = [ok(request_refund(api, first_intent, amount=100 + i), 201)["id"] for i in range(3)]
    other = ok(request_refund(api, second_intent, amount=50), 201)["id"]

    detail = ok(refund_detail(api, ids[0]))
    assert (detail["id"], detail["amount"], detail["status"]) == (ids[0], 100, "approved")

    page = ok(api.get(f"{V1}/refunds", {"limit": 2}))
    assert [r["id"] for r in page["data"]] == [other, ids[2]] and page["has_more"]
    rest = ok(api.get(f"{V1}/refunds", {"limit": 2, "cursor": page["next_cursor"]}))
    assert [r["id"] for r in rest["data"]] == [ids[1], ids[0]] and not rest["has_more"]

    by_intent = ok(api.get(f"{V1}/refunds", {"payment_intent": second_intent}))
    assert [r["id"] for r in by_intent["data"]] == [other]
    assert ok(api.get(f"{V1}/refunds", {"status": "completed"}))["data"] == []
    assert len(ok(api.get(f"{V1}/refunds", {"status": "approved"}))["data"]) == 4

    created = RefundRequest.objects.get(public_id=ids[1]).created_at.isoformat()
    after = ok(api.get(f"{V1}/refunds", {"created_gte": created}))
    assert {r["id"] for r in after["data"]} == {ids[1], ids[2], other}
    before = ok(api.get(f"{V1}/refunds", {"created_lte": created}))
    assert {r["id"] for r in before["data"]} == {ids[0], ids[1]}


@pytest.mark.parametrize(
    "query,param",
    [({"status": "lost"}, "status"), ({"created_gte": "yesterday"}, "created_gte"), ({"limit": 0}, "limit")],
)
def test_list_bad_filters_are_400(api, query, param):
    response = api.get(f"{V1}/refunds", query)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_bad_cursor_is_400(api):
    response = api.get(f"{V1}/refunds", {"cursor": "garbage"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "cursor_invalid"


def test_information_is_only_for_a_refund_that_needs_it(api, intent_id):
    refund = ok(request_refund(api, intent_id, amount=100), 201)
    response = api.post(f"{V1}/refunds/{refund['id']}/information", {"information": "receipt"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_state_transition"
    empty = api.post(f"{V1}/refunds/{refund['id']}/information", {}, format="json")
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "information"


def test_payment_state_is_unchanged_by_a_refused_refund(api, intent_id):
    request_refund(api, intent_id, amount=CAPTURED + 1)
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert (payment.state, payment.amount_refunded) == ("completed", 0)


def test_the_session_timeline_hears_of_refunds_and_the_receipt_address_may_come_from_metadata(
    api, mailoutbox, django_capture_on_commit_callbacks
):
    session, intent = paid_intent(api, metadata={"receipt_email": "ada@example.com"})
    ok(confirm(api, intent["id"]))
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent["id"], amount=1000), 201)
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent["id"], amount=1000), 201)
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent["id"]), 201)
    timeline = ok(api.get(f"{V1}/sessions/{session['checkout_id']}/timeline", {"limit": 100}))["data"]
    refunds = [(e["type"], e["data"]["payment_version"]) for e in timeline if "refunded" in e["type"]]
    assert [kind for kind, _ in refunds] == ["payment.partially_refunded"] * 2 + ["payment.refunded"]
    assert len({version for _, version in refunds}) == 3
    assert [m.to for m in mailoutbox] == [["ada@example.com"]] * 3


def test_the_service_refuses_non_positive_amounts_whatever_the_caller(api):
    from refunds.services.requests import refund_create

    intent = captured_intent(api)
    for amount in (0, -5, 10.5, True):
        with pytest.raises(DomainError) as error:
            refund_create(
                merchant_id=api.merchant.pk, payment_intent_id=intent, amount=amount,
                reason="other", actor="staff:test",
            )  # fmt: skip
        assert error.value.param == "amount"
    assert not RefundRequest.objects.exists()
