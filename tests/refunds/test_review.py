"""The review queue in the admin back office: approve, reject, ask for information, with
the approver permission and the four-eyes rule, each decision audited."""

import pytest
from django.contrib.auth.models import Permission

from merchants.models import Event
from payments.models import PaymentTransaction
from refunds.models import RefundEvent, RefundRequest
from tests.payments.helpers import V1, ok
from tests.refunds.helpers import (
    ADMIN,
    CAPTURED,
    captured_intent,
    logged_in,
    refund_detail,
    request_refund,
    review,
    review_limit,
    staff,
)

pytestmark = pytest.mark.django_db
State = RefundRequest.State


@pytest.fixture
def intent_id(api):
    review_limit(api.merchant, 1000)
    return captured_intent(api)


@pytest.fixture
def waiting(api, intent_id, approver, second_approver, mailoutbox, django_capture_on_commit_callbacks):
    """A high-value refund asked by API, waiting in the review queue."""
    with django_capture_on_commit_callbacks(execute=True):
        refund = ok(request_refund(api, intent_id, amount=3000, receipt_email="shopper@example.com"), 201)
    assert refund["status"] == "under_review" and refund["review"]["auto_approved"] is False
    return RefundRequest.objects.get(public_id=refund["id"])


def event_types(merchant):
    return list(
        Event.objects.filter(merchant=merchant, type__startswith="refund.")
        .order_by("id")
        .values_list("type", flat=True)
    )


def test_high_value_refund_waits_and_reviewers_are_emailed(api, waiting, mailoutbox):
    [email] = mailoutbox
    assert sorted(email.to) == ["alice@example.com", "bob@example.com"]
    assert waiting.public_id in email.subject and "$30.00" in email.body and f"{waiting.pk}/review/" in email.body
    assert PaymentTransaction.objects.get(pk=waiting.payment_id).state == "completed"
    assert event_types(api.merchant) == ["refund.created"]
    why = RefundEvent.objects.get(refund=waiting, to_state="under_review").data["why"]
    assert "above the automatic limit of 1000" in why


def test_approved_in_admin_then_completed_by_the_gateway(
    api, waiting, approver, mailoutbox, django_capture_on_commit_callbacks
):
    client = logged_in(approver)
    detail = client.get(f"{ADMIN}{waiting.pk}/change/").content.decode()
    assert f"{waiting.pk}/review/" in detail and 'name="amount"' not in detail
    page = client.get(f"{ADMIN}{waiting.pk}/review/")
    assert page.status_code == 200 and waiting.public_id in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = review(client, waiting.pk, "approve", "receipt checked")
    assert response.status_code == 302
    refund = ok(refund_detail(api, waiting.public_id))
    assert refund["status"] == "completed" and refund["review"]["reviewed_at"]
    payment = ok(api.get(f"{V1}/payment-intents/{refund['payment_intent']}"))
    assert (payment["status"], payment["amount_refunded"]) == ("partially_refunded", 3000)
    assert event_types(api.merchant) == ["refund.created", "refund.approved", "refund.completed"]

    approval = RefundEvent.objects.get(refund=waiting, to_state="approved")
    assert (approval.actor, approval.user, approval.data) == ("staff:alice", approver, {"note": "receipt checked"})
    assert approval.created_at is not None
    assert [m.to for m in mailoutbox][-1] == ["shopper@example.com"]
    # Decided: the refund's page no longer offers a review.
    after = client.get(f"{ADMIN}{waiting.pk}/change/").content.decode()
    assert "Review this refund" not in after and f"{waiting.pk}/review/" not in after


def test_each_decision_radio_is_labelled_by_its_words(waiting, approver):
    import re

    page = logged_in(approver).get(f"{ADMIN}{waiting.pk}/review/").content.decode()
    assert "<legend" in page
    for value, words in (("approve", "Approve"), ("reject", "Reject"), ("request_info", "Ask for more information")):
        radio = re.search(rf'<input type="radio" name="decision" value="{value}"[^>]*id="([^"]+)"', page)
        assert radio, value
        # The radio sits inside a label naming it, so clicking the words chooses it.
        inside = rf'<label for="{radio.group(1)}"[^>]*>\s*<input[^>]*value="{value}"[^>]*>\s*{words}</label>'
        label = re.search(inside, page)
        assert label, (value, page[radio.start() - 200 : radio.end() + 100])


def test_the_requester_cannot_approve_their_own_refund(
    api, approver, second_approver, django_capture_on_commit_callbacks
):
    review_limit(api.merchant, 1000)
    intent_id = captured_intent(api)
    alice = logged_in(approver)
    body = {"payment_intent": intent_id, "amount": "25.00", "reason": "requested_by_customer", "note": "phone call"}
    assert alice.post(f"{ADMIN}add/", body).status_code == 302
    refund = RefundRequest.objects.get()
    assert (refund.state, refund.requested_by, refund.requested_by_user) == (
        State.UNDER_REVIEW,
        "staff:alice",
        approver,
    )

    page = review(alice, refund.pk, "approve")
    assert page.status_code == 200 and "four_eyes_required" in page.content.decode()
    refund.refresh_from_db()
    assert refund.state == State.UNDER_REVIEW

    # The bulk action goes through the same rule.
    alice.post(ADMIN, {"action": "approve_selected", "_selected_action": [refund.pk]})
    refund.refresh_from_db()
    assert refund.state == State.UNDER_REVIEW

    with django_capture_on_commit_callbacks(execute=True):
        assert review(logged_in(second_approver), refund.pk, "approve").status_code == 302
    refund.refresh_from_db()
    assert (refund.state, refund.reviewed_by) == (State.COMPLETED, second_approver)


def test_staff_request_within_the_rules_is_approved_at_once(api, approver, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    body = {"payment_intent": intent_id, "amount": "5.00", "reason": "duplicate"}
    with django_capture_on_commit_callbacks(execute=True):
        assert logged_in(approver).post(f"{ADMIN}add/", body).status_code == 302
    assert RefundRequest.objects.get().state == State.COMPLETED


def test_staff_add_form_reports_refusals(api, approver):
    intent_id = captured_intent(api)
    alice = logged_in(approver)
    unknown = alice.post(f"{ADMIN}add/", {"payment_intent": "pi_nope", "amount": "0.01", "reason": "other"})
    assert unknown.status_code == 200 and "No such payment intent" in unknown.content.decode()
    over = f"{(CAPTURED + 1) / 100:.2f}"
    too_much = alice.post(f"{ADMIN}add/", {"payment_intent": intent_id, "amount": over, "reason": "other"})
    assert "refund_exceeds_captured" in too_much.content.decode()
    assert RefundRequest.objects.count() == 0
    viewer = staff("viewer", approver=False)
    viewer.user_permissions.remove(Permission.objects.get(codename="add_refundrequest"))
    assert logged_in(viewer).get(f"{ADMIN}add/").status_code == 403


def test_only_approvers_review(api, waiting):
    clerk = logged_in(staff("clerk", approver=False))
    assert clerk.get(f"{ADMIN}{waiting.pk}/review/").status_code == 403
    assert clerk.post(f"{ADMIN}{waiting.pk}/review/", {"decision": "approve"}).status_code == 403
    clerk.post(ADMIN, {"action": "approve_selected", "_selected_action": [waiting.pk]})
    waiting.refresh_from_db()
    assert waiting.state == State.UNDER_REVIEW
    detail = clerk.get(f"{ADMIN}{waiting.pk}/change/").content.decode()
    assert 'name="state"' not in detail and 'name="amount"' not in detail and "/review/" not in detail


def test_reject_frees_the_amount(api, waiting, second_approver, django_capture_on_commit_callbacks):
    bob = logged_in(second_approver)
    assert "text" in review(bob, waiting.pk, "reject").content.decode()  # a reason is required
    assert review(bob, waiting.pk, "reject", "Goods were never returned.").status_code == 302
    refund = ok(refund_detail(api, waiting.public_id))
    assert (refund["status"], refund["review"]["rejection_reason"]) == ("rejected", "Goods were never returned.")
    assert event_types(api.merchant) == ["refund.created", "refund.rejected"]
    rejected = RefundEvent.objects.get(refund=waiting, to_state="rejected")
    assert (rejected.actor, rejected.user) == ("staff:bob", second_approver)

    # Rejected holds nothing: the whole captured amount may be asked for again.
    review_limit(api.merchant, CAPTURED)
    with django_capture_on_commit_callbacks(execute=True):
        again = ok(request_refund(api, refund["payment_intent"], amount=CAPTURED), 201)
    assert ok(refund_detail(api, again["id"]))["status"] == "completed"
    # And a decided refund cannot be decided again.
    assert "invalid_state_transition" in review(bob, waiting.pk, "approve").content.decode()


def test_needs_info_round_trip(api, waiting, approver, mailoutbox, django_capture_on_commit_callbacks):
    alice = logged_in(approver)
    assert review(alice, waiting.pk, "request_info", "Please send the return's tracking number.").status_code == 302
    refund = ok(refund_detail(api, waiting.public_id))
    assert (refund["status"], refund["review"]["info_request"]) == (
        "needs_info",
        "Please send the return's tracking number.",
    )
    needs_info = Event.objects.get(merchant=api.merchant, type="refund.needs_info")
    assert needs_info.data["after"]["status"] == "needs_info"
    # Not reviewable while waiting for the answer.
    assert "invalid_state_transition" in review(alice, waiting.pk, "approve").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        answered = api.post(
            f"{V1}/refunds/{waiting.public_id}/information", {"information": "Tracking 1Z999"}, format="json"
        )
    body = ok(answered)
    assert (body["status"], body["review"]["info_response"]) == ("under_review", "Tracking 1Z999")
    assert len(mailoutbox) == 2 and "Tracking 1Z999" in mailoutbox[1].body
    again = api.post(f"{V1}/refunds/{waiting.public_id}/information", {"information": "more"}, format="json")
    assert again.status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        review(alice, waiting.pk, "approve")
    assert ok(refund_detail(api, waiting.public_id))["status"] == "completed"
    trail = list(RefundEvent.objects.filter(refund=waiting).exclude(to_state="").values_list("to_state", "actor"))
    assert trail == [
        ("pending", body["requested_by"]),
        ("under_review", "system:refund_rules"),
        ("needs_info", "staff:alice"),
        ("under_review", body["requested_by"]),
        ("approved", "staff:alice"),
        ("processing", "system:refunds"),
        ("completed", "system:refunds"),
    ]


def test_the_review_queue_lists_waiting_refunds(api, waiting, approver):
    page = logged_in(approver).get(ADMIN, {"state__exact": "under_review"}).content.decode()
    assert waiting.public_id in page and "$30.00" in page


def test_audit_rows_cannot_be_edited(waiting):
    from django.db import DatabaseError, transaction

    row = RefundEvent.objects.filter(refund=waiting).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        RefundEvent.objects.filter(pk=row.pk).update(actor="someone else")


def test_staff_refund_from_the_payment_and_order_pages_in_the_currencys_own_units(
    api, approver, django_capture_on_commit_callbacks
):
    """A support agent refunds from the payment or the order: the form names the payment,
    takes the amount as the receipt writes it (15.00, not 1500), and asks for a reason
    instead of defaulting to one; the refund's page reads as money, its bookkeeping folded."""
    from django.contrib.auth import get_user_model

    from checkout.models import Order
    from tests.checkout.finalize_helpers import finalize, paid_session

    paid = paid_session(api)
    ok(finalize(api, paid["checkout_id"]), 201)
    intent_id = paid["payment"]["id"]
    root = logged_in(get_user_model().objects.create_superuser("root", "root@example.com", "pw-not-used-elsewhere"))
    payment_pk = PaymentTransaction.objects.get(public_id=intent_id).pk
    add_url = f"{ADMIN}add/?payment_intent={intent_id}"
    assert add_url in root.get(f"/admin/payments/paymenttransaction/{payment_pk}/change/").content.decode()
    order_pk = Order.objects.get(payment_intent_id=intent_id).pk
    assert add_url in root.get(f"/admin/checkout/order/{order_pk}/change/").content.decode()

    form = root.get(add_url).content.decode()
    assert f'value="{intent_id}"' in form and 'value="" selected>Choose a reason' in form
    alice = logged_in(approver)
    unreasoned = alice.post(f"{ADMIN}add/", {"payment_intent": intent_id, "amount": "15.00"})
    assert unreasoned.status_code == 200 and RefundRequest.objects.count() == 0
    too_fine = alice.post(f"{ADMIN}add/", {"payment_intent": intent_id, "amount": "15.005", "reason": "other"})
    assert "USD has no amounts finer than 0.01." in too_fine.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = alice.post(f"{ADMIN}add/", {"payment_intent": intent_id, "amount": "15.00", "reason": "other"})
    assert done.status_code == 302
    refund = RefundRequest.objects.get()
    assert (refund.amount, refund.currency) == (1500, "USD")

    detail = root.get(f"{ADMIN}{refund.pk}/change/").content.decode()
    assert "$15.00" in detail
    processing = detail.index("Processing details")
    assert detail.index("Call count") > processing and detail.index("$15.00") < processing


def test_no_refund_link_for_staff_who_cannot_ask_for_refunds(api):
    from django.contrib.auth import get_user_model

    intent_id = captured_intent(api)
    viewer = get_user_model().objects.create_user("vic", "vic@example.com", "pw-not-used-elsewhere", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_paymenttransaction"))
    page = logged_in(viewer).get(
        f"/admin/payments/paymenttransaction/{PaymentTransaction.objects.get(public_id=intent_id).pk}/change/"
    )
    assert page.status_code == 200 and "Refund this payment" not in page.content.decode()
