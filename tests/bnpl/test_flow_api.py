"""Buy now, pay later by API on the simulated provider: approve → redirect → signed
completion webhook → first installment charged → order; decline → 402 and another way.
Transactional, so what happens after commit (the provider's webhook through Celery, the
first charge, checkout's listener, merchant events) happens as in production."""

import pytest
from django.test import Client

from merchants.models import Event
from payments.bnpl.models import BNPLApplication, BNPLEvent, Installment, InstallmentPlan
from payments.models import PaymentTransaction
from tests.bnpl.helpers import BNPL, bnpl_intent, complete_at_provider, confirm_bnpl, installments, provider_path
from tests.payments.helpers import SUCCESS, V1, attach, confirm, intent_url, ok, publishable_client, tokenize

pytestmark = pytest.mark.django_db(transaction=True)


def test_payment_methods_offer_bnpl_with_its_plans_when_the_amount_fits(api):
    methods = ok(api.get(f"{V1}/payment-methods", {"currency": "USD", "amount": 5000}))["data"]
    bnpl = next(m for m in methods if m["type"] == BNPL)
    plans = {plan["code"]: plan for plan in bnpl["plans"]}
    assert set(plans) == {"pay_in_4", "monthly_3"}
    assert plans["pay_in_4"]["installments"] == [1250, 1250, 1250, 1250]
    assert plans["monthly_3"]["installments"] == [1668, 1666, 1666]
    assert plans["pay_in_4"]["interval"] == "14 days" and plans["monthly_3"]["interval"] == "1 month"
    # Outside every plan's limits (35.00 to 2,000.00): not offered at all.
    too_small = ok(api.get(f"{V1}/payment-methods", {"currency": "USD", "amount": 1000}))["data"]
    assert [m["type"] for m in too_small] == ["card"]
    assert ok(api.get(f"{V1}/payment-methods", {"currency": "JPY", "amount": 10}))["data"] == []


def test_pay_in_4_from_application_to_order(api):
    session, intent = bnpl_intent(api)
    assert intent["payment_methods"] == [BNPL]
    approved = ok(confirm_bnpl(api, intent["id"]))
    assert approved["status"] == "requires_action"
    assert approved["next_action"]["type"] == "redirect" and approved["next_action"]["reason"] == "bnpl_redirect"
    assert provider_path(approved).startswith("/simulator/bnpl/")
    application = BNPLApplication.objects.get(payment__public_id=intent["id"])
    assert application.state == "approved" and application.email == "ada@example.com"
    # Confirming again answers where it stands; no second application.
    assert ok(confirm_bnpl(api, intent["id"]))["status"] == "requires_action"
    assert BNPLApplication.objects.filter(payment__public_id=intent["id"]).count() == 1

    back = complete_at_provider(approved)
    assert back.status_code == 303 and "/v1/checkout/redirect/return" in back["Location"]
    paid = ok(api.get(intent_url(intent["id"])))
    assert paid["status"] == "succeeded" and paid["amount_received"] == 5000
    assert paid["payment_method"]["card"]["last4"] == "4242"

    schedule = installments(api, intent["id"])
    assert [i["amount"] for i in schedule] == [1250, 1250, 1250, 1250]
    assert [i["status"] for i in schedule] == ["paid", "pending", "pending", "pending"]
    assert schedule[0]["attempts"] == 1 and schedule[0]["payment_intent_id"].startswith("pi_")
    application.refresh_from_db()
    assert application.state == "completed"

    final = ok(api.post(f"{V1}/sessions/{session['checkout_id']}/finalize", {}, format="json"), 201)
    assert final["order"]["status"] == "confirmed" and final["order"]["amount_captured"] == 5000
    order = ok(api.get(f"{V1}/orders/{final['order_id']}"))
    assert [(i["sequence"], i["status"], i["amount"]) for i in order["installments"]] == [
        (1, "paid", 1250), (2, "pending", 1250), (3, "pending", 1250), (4, "pending", 1250)
    ]  # fmt: skip
    types = set(Event.objects.filter(merchant=api.merchant).values_list("type", flat=True))
    assert {"bnpl.application.approved", "bnpl.application.completed", "installment.paid", "payment.succeeded"} <= types
    # The receipt shows the plan: the card paid the first installment, not the whole order.
    receipt = Client().get(f"/receipts/{final['receipt_id']}").content.decode()
    assert "Pay later, Visa •••• 4242" in receipt and "Paid in 4 installments" in receipt
    assert receipt.count("$12.50") == 4 and receipt.count(">Due<") == 4  # the column header and three rows


def test_declined_application_is_a_402_and_the_shopper_pays_by_card(api):
    _, intent = bnpl_intent(api, email="ada+decline@example.com")
    declined = confirm_bnpl(api, intent["id"])
    assert declined.status_code == 402, declined.content
    error = declined.json()["error"]
    assert error["code"] == "bnpl_declined" and error["decline_code"] == "credit_check_failed"
    assert BNPLApplication.objects.get(payment__public_id=intent["id"]).decision_reason == "credit_check_failed"
    # The intent was made for BNPL alone: the merchant widens it, then a card pays.
    session_id = PaymentTransaction.objects.get(public_id=intent["id"]).reference
    ok(api.post(f"{V1}/sessions/{session_id}/payment-intents", {"payment_methods": ["card", BNPL]}, format="json"), 201)
    ok(attach(api, intent["id"], tokenize(publishable_client(api), SUCCESS)))
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    assert not InstallmentPlan.objects.exists()


def test_amount_outside_the_plan_is_declined_by_the_provider(api):
    cart = {
        "currency": "USD",
        "lines": [{"sku": "CAR", "name": "Car", "quantity": 1, "unit_amount": 900000, "requires_shipping": False}],
        "return_urls": {"success_url": "https://shop.example/thanks", "error_url": "https://shop.example/cart"},
    }
    _, intent = bnpl_intent(api, cart=cart)
    declined = confirm_bnpl(api, intent["id"])
    assert declined.status_code == 402 and declined.json()["error"]["decline_code"] == "amount_out_of_range"


def test_unknown_plan_and_card_only_intent_are_refused_with_nothing_written(api):
    _, intent = bnpl_intent(api)
    unknown = confirm_bnpl(api, intent["id"], plan="pay_in_40")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "bnpl_plan_unavailable"
    assert not BNPLApplication.objects.exists()
    card_only = ok(api.post(f"{V1}/sessions", {**_cart(), "currency": "USD"}, format="json"), 201)
    ok(api.post(f"{V1}/sessions/{card_only['checkout_id']}/calculate", {}, format="json"))
    card_intent = ok(api.post(f"{V1}/sessions/{card_only['checkout_id']}/payment-intents", {}, format="json"), 201)
    refused = confirm_bnpl(api, card_intent["id"])
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "payment_method_unavailable"


def test_a_failing_card_at_the_provider_fails_the_first_installment_and_the_intent(api):
    _, intent = bnpl_intent(api)
    approved = ok(confirm_bnpl(api, intent["id"]))
    complete_at_provider(approved, number="4000000000000341")
    failed = ok(api.get(intent_url(intent["id"])))
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "card_declined"
    plan = InstallmentPlan.objects.get(payment__public_id=intent["id"])
    assert plan.state == "cancelled"
    assert set(Installment.objects.filter(plan=plan).values_list("state", flat=True)) == {"cancelled"}
    # The shopper may apply again (a new application) once the first is done with.
    assert ok(confirm_bnpl(api, intent["id"]))["status"] == "requires_action"
    assert BNPLEvent.objects.filter(type="plan.cancelled").count() == 1


def _cart():
    return {
        "lines": [{"sku": "EBOOK", "name": "E-book", "quantity": 1, "unit_amount": 5000, "requires_shipping": False}],
        "return_urls": {"success_url": "https://shop.example/thanks", "error_url": "https://shop.example/cart"},
    }
