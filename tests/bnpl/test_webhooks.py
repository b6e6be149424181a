"""The provider's signed checkout.completed webhook: replayed, out of order, unsigned,
late (after the application expired), and overtaken by the shopper's return."""

import json

import pytest
from django.test import Client

from payments.bnpl.models import BNPLApplication, BNPLEvent, Installment, InstallmentPlan
from payments.bnpl.providers import simulator
from payments.bnpl.providers.simulator_models import SimulatorBNPLCheckout
from payments.bnpl.services import applications
from payments.models import GatewayEvent
from payments.simulator import processor
from payments.simulator.models import SimulatorDelivery
from payments.simulator.signing import SIGNATURE_HEADER, signature_header
from tests.bnpl.helpers import bnpl_intent, complete_at_provider, confirm_bnpl
from tests.payments.helpers import SUCCESS, V1, intent_url, ok

pytestmark = pytest.mark.django_db(transaction=True)


def _completed_delivery() -> SimulatorDelivery:
    return next(d for d in SimulatorDelivery.objects.order_by("-id") if '"checkout.completed"' in d.body)


def test_a_replayed_completion_changes_nothing(api):
    _, intent = bnpl_intent(api)
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    delivery = _completed_delivery()
    body = delivery.body.encode()
    response = Client().post(
        f"{V1}/webhook/payment",
        body,
        content_type="application/json",
        **{"HTTP_SIMULATOR_SIGNATURE": signature_header(body)},
    )
    assert response.status_code == 200 and response.json()["duplicate"] is True
    # The same news under a new event id (a provider resending): still one plan, one charge.
    payload = {**json.loads(body), "id": "evt_sim_resent"}
    resent = json.dumps(payload).encode()
    response = Client().post(
        f"{V1}/webhook/payment",
        resent,
        content_type="application/json",
        **{"HTTP_SIMULATOR_SIGNATURE": signature_header(resent)},
    )
    assert response.status_code == 200 and response.json()["duplicate"] is False
    assert InstallmentPlan.objects.count() == 1
    assert Installment.objects.filter(state="paid").count() == 1
    assert GatewayEvent.objects.get(event_id="evt_sim_resent").status == "processed"
    assert BNPLEvent.objects.filter(type="completion.ignored").count() == 1


def test_an_unsigned_or_forged_completion_is_refused_and_leaves_no_trace(api):
    body = json.dumps(
        {"id": "evt_forged", "type": "checkout.completed", "data": {"object": {"object": "bnpl.checkout"}}}
    )
    assert Client().post(f"{V1}/webhook/payment", body, content_type="application/json").status_code == 400
    forged = Client().post(
        f"{V1}/webhook/payment", body, content_type="application/json", **{"HTTP_SIMULATOR_SIGNATURE": "t=1,v1=00"}
    )
    assert forged.status_code == 400
    assert not GatewayEvent.objects.exists()


def test_completion_before_the_decision_is_recorded_approves_on_the_way(api, monkeypatch):
    """Out of order: the process died after the provider approved, before recording it."""
    _, intent = bnpl_intent(api)
    monkeypatch.setattr(applications, "_record_decision", lambda **kwargs: None)
    assert ok(confirm_bnpl(api, intent["id"]))["status"] == "processing"
    monkeypatch.undo()
    application = BNPLApplication.objects.get()
    assert application.state == "pending"
    checkout = SimulatorBNPLCheckout.objects.get(idempotency_key=application.idempotency_key)
    simulator.checkout_complete(reference=checkout.reference, number=SUCCESS, exp_month=12, exp_year=2034, cvc="123")
    application.refresh_from_db()
    assert application.state == "completed" and application.provider_reference == checkout.reference
    assert ok(api.get(intent_url(intent["id"])))["status"] == "succeeded"
    # The confirm that was interrupted, repeated, answers where it stands.
    assert ok(confirm_bnpl(api, intent["id"]))["status"] == "succeeded"


def test_the_shoppers_return_completes_when_the_webhook_is_late(api, monkeypatch):
    from payments import tasks as payment_tasks

    _, intent = bnpl_intent(api)
    approved = ok(confirm_bnpl(api, intent["id"]))
    monkeypatch.setattr(payment_tasks.simulator_deliver, "apply_async", lambda *a, **k: None)
    back = complete_at_provider(approved)
    assert InstallmentPlan.objects.count() == 0  # no webhook yet
    returned = Client().get(back["Location"].replace("http://127.0.0.1:8000", ""))
    assert returned.status_code in (200, 302)
    assert ok(api.get(intent_url(intent["id"])))["status"] == "succeeded"
    monkeypatch.undo()
    processor.delivery_send(delivery_id=_completed_delivery().pk)  # the webhook, late
    assert InstallmentPlan.objects.count() == 1 and Installment.objects.filter(state="paid").count() == 1


def test_a_completion_after_the_application_expired_is_ignored(api):
    _, intent = bnpl_intent(api)
    ok(confirm_bnpl(api, intent["id"]))
    application = BNPLApplication.objects.get()
    checkout = SimulatorBNPLCheckout.objects.get(reference=application.provider_reference)
    applications.application_expire(application.pk, actor="test", reason="too slow")
    # The provider's session was released on our expiry; a late agreement cannot complete it.
    checkout.refresh_from_db()
    assert checkout.status == "canceled"
    simulator.checkout_complete(reference=checkout.reference, number=SUCCESS, exp_month=12, exp_year=2034, cvc="123")
    assert not InstallmentPlan.objects.exists()
    failed = ok(api.get(intent_url(intent["id"])))
    assert (
        failed["status"] == "requires_payment_method"
        and failed["last_payment_error"]["decline_code"] == "checkout_expired"
    )
    assert SIGNATURE_HEADER == "Simulator-Signature"
