"""The analysts' back office: the queue oldest first, decisions through the API's
services (audited, four-eyes above the merchant's amount), rules and lists edited."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from fraud.models import FraudAssessment, FraudRule, ListEntry
from merchants.services import merchant_settings_update
from payments.models import PaymentTransaction
from tests.fraud.test_flow_api import _held

pytestmark = pytest.mark.django_db
QUEUE = "/admin/fraud/fraudreview/"


def _analyst(name):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw-not-used-elsewhere", is_staff=True)
    user.groups.add(Group.objects.get(name="Fraud analysts"))
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_lists_open_reviews_oldest_first_with_score_and_rules(api):
    first = _held(api, email="one@example.com")[2]["review"]["id"]
    second = _held(api, email="two@example.com")[2]["review"]["id"]
    analyst = _analyst("alice")
    page = analyst.get(QUEUE).content.decode()
    assert page.index(first) < page.index(second)
    assert "amount $1,500.00 is above $1,000.00" in page and "visa •••• 4242" in page
    pk = FraudAssessment.objects.get(public_id=first).pk
    detail = analyst.get(f"{QUEUE}{pk}/change/").content.decode()
    assert "Amount above the merchant" in detail and "one@example.com" in detail and "(+45)" in detail
    assert 'name="status"' not in detail


def test_an_analyst_approves_through_the_service_and_it_is_audited(api):
    checkout_id, intent_id, body = _held(api)
    review = FraudAssessment.objects.get(public_id=body["review"]["id"])
    response = _analyst("alice").post(QUEUE, {"action": "approve_selected", "_selected_action": [review.pk]})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.decision, review.reviewed_by) == ("allowed", "approved", "staff:alice")
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "completed"
    message = "Review approved: decided in the back office"
    assert LogEntry.objects.filter(object_id=str(review.pk), change_message=message).exists()


def test_four_eyes_above_the_merchants_amount(api):
    merchant_settings_update(merchant_id=api.merchant.pk, changes={"extra_settings": {"fraud_four_eyes_above": 100000}})
    _, intent_id, body = _held(api)
    review = FraudAssessment.objects.get(public_id=body["review"]["id"])
    alice = _analyst("alice")
    alice.post(QUEUE, {"action": "approve_selected", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert (review.status, review.first_approved_by) == ("in_review", "staff:alice")
    alice.post(QUEUE, {"action": "approve_selected", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.status == "in_review", "the same analyst cannot approve twice"
    _analyst("bob").post(QUEUE, {"action": "approve_selected", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert (review.status, review.reviewed_by) == ("allowed", "staff:bob")
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "completed"


def test_an_analyst_rejects_and_the_payment_is_voided(api):
    _, intent_id, body = _held(api)
    review = FraudAssessment.objects.get(public_id=body["review"]["id"])
    _analyst("alice").post(QUEUE, {"action": "reject_selected", "_selected_action": [review.pk]})
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "cancelled"


def test_an_analyst_decides_from_the_reviews_own_page_with_a_reason(api):
    _, intent_id, body = _held(api)
    review = FraudAssessment.objects.get(public_id=body["review"]["id"])
    alice = _analyst("alice")
    detail = alice.get(f"{QUEUE}{review.pk}/change/").content.decode()
    assert f"{QUEUE}{review.pk}/decide/" in detail, "the review's page links to its decision"
    page = alice.get(f"{QUEUE}{review.pk}/decide/").content.decode()
    assert "$1,500.00" in page and "Amount above the merchant" in page and 'name="reason"' in page
    refused = alice.post(f"{QUEUE}{review.pk}/decide/", {"decision": "reject", "reason": " "})
    assert refused.status_code == 200 and "Say why the payment is rejected." in refused.content.decode()
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "authorized"
    done = alice.post(f"{QUEUE}{review.pk}/decide/", {"decision": "reject", "reason": "Card reported stolen"})
    assert done.status_code == 302 and done["Location"] == QUEUE
    review.refresh_from_db()
    assert (review.decision, review.decision_reason, review.reviewed_by) == (
        "refused", "Card reported stolen", "staff:alice"
    )
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "cancelled"
    assert LogEntry.objects.filter(object_id=str(review.pk), change_message__contains="Card reported stolen").exists()
    assert alice.get(f"{QUEUE}{review.pk}/decide/").status_code == 404, "a decided review leaves the queue"


def test_the_decision_page_keeps_four_eyes_and_needs_the_review_permission(api):
    merchant_settings_update(merchant_id=api.merchant.pk, changes={"extra_settings": {"fraud_four_eyes_above": 100000}})
    _, intent_id, body = _held(api)
    review = FraudAssessment.objects.get(public_id=body["review"]["id"])
    url = f"{QUEUE}{review.pk}/decide/"
    alice, bob = _analyst("alice"), _analyst("bob")
    alice.post(url, {"decision": "approve", "reason": "Known customer"})
    assert "First approved by staff:alice" in bob.get(url).content.decode()
    again = alice.post(url, {"decision": "approve", "reason": ""})
    assert again.status_code == 200 and "four_eyes_required" in again.content.decode()
    bob.post(url, {"decision": "approve", "reason": ""})
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "completed"
    viewer = get_user_model().objects.create_user("vic", "v@example.com", "pw-not-used-elsewhere", is_staff=True)
    client = Client()
    client.force_login(viewer)
    assert client.get(url).status_code == 403


def test_staff_outside_the_group_cannot_see_the_queue(api):
    user = get_user_model().objects.create_user("carol", "c@example.com", "pw-not-used-elsewhere", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(QUEUE).status_code == 403


def test_analysts_edit_rules_and_lists_through_the_services(api):
    analyst = _analyst("alice")
    api.get("/v1/checkout/fraud/rules")  # installs the defaults
    rule = FraudRule.objects.get(merchant=api.merchant, rule_type="velocity")
    bad = analyst.post(
        f"/admin/fraud/fraudrule/{rule.pk}/change/",
        {"name": rule.name, "rule_type": "velocity", "conditions": '{"keys": ["phone"]}', "action": "score",
         "score": 45, "priority": 30, "is_active": "on"},
    )  # fmt: skip
    assert bad.status_code == 200 and "conditions.keys" in bad.content.decode()
    good = analyst.post(
        f"/admin/fraud/fraudrule/{rule.pk}/change/",
        {"name": rule.name, "rule_type": "velocity", "action": "score", "score": 45, "priority": 30,
         "conditions": '{"keys": ["email"], "window_minutes": 5, "tiers": [{"min_count": 3, "score": 50}]}'},
    )  # fmt: skip
    assert good.status_code == 302, good.content.decode()[:3000]
    rule.refresh_from_db()
    assert rule.conditions["window_minutes"] == 5 and rule.is_active is False
    added = analyst.post(
        "/admin/fraud/listentry/add/",
        {"merchant": api.merchant.pk, "list": "block", "kind": "email", "value": " Eve@Example.COM ", "reason": ""},
    )
    assert added.status_code == 302
    entry = ListEntry.objects.get(merchant=api.merchant)
    assert (entry.value, entry.created_by) == ("eve@example.com", "staff:alice")


def test_an_alert_and_its_breadcrumb_name_the_payment_by_its_public_id(api):
    from fraud.models import FraudAlert

    _, intent_id, _ = _held(api)
    alert = FraudAlert.objects.filter(assessment__payment_intent_id=intent_id).first()
    assert alert is not None and str(alert) == f"{alert.kind} on {intent_id}"
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-not-used-elsewhere"))
    page = staff.get(f"/admin/fraud/fraudalert/{alert.pk}/change/").content.decode()
    assert f"{alert.kind} on {intent_id}" in page
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    page = staff.get(f"/admin/payments/paymenttransaction/{payment.pk}/change/").content.decode()
    # The breadcrumb shows the id as it is: a capitalised one ("Pi_…") is not the id.
    assert intent_id in page and intent_id.capitalize() not in page
    assert "Payment transactions" in page  # model names keep their capital
