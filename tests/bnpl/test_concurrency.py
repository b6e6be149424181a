"""Races against PostgreSQL: two confirms of one intent make one application; two late
payments of one installment make one charge; an abandoned application expires with its
intent and releases the provider's checkout."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.bnpl.models import BNPLApplication, Installment
from payments.bnpl.providers.simulator_models import SimulatorBNPLCheckout
from payments.models import PaymentTransaction
from payments.services.maintenance import payments_expire_due
from tests.bnpl.helpers import bnpl_intent, card_starts_declining, complete_at_provider, confirm_bnpl, plan_card_token
from tests.concurrency import run_together
from tests.conftest import MerchantClient
from tests.payments.helpers import SUCCESS, V1, ok, publishable_client, tokenize

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_confirms_make_one_application(api):
    _, intent = bnpl_intent(api)
    results = run_together(3, lambda i: confirm_bnpl(MerchantClient(api.secrets), intent["id"]))
    assert [r.status_code for r in results] == [200, 200, 200], [getattr(r, "content", r) for r in results]
    assert {r.json()["status"] for r in results} == {"requires_action"}
    assert BNPLApplication.objects.filter(payment__public_id=intent["id"]).count() == 1
    assert SimulatorBNPLCheckout.objects.count() == 1


def test_concurrent_late_payments_charge_once(api):
    _, intent = bnpl_intent(api)
    complete_at_provider(ok(confirm_bnpl(api, intent["id"])))
    card_starts_declining(plan_card_token(intent["id"]))
    call_command("bnpl_charge_installments", "--as-of", (timezone.localdate() + timedelta(days=14)).isoformat())
    second = Installment.objects.get(plan__payment__public_id=intent["id"], sequence=2)
    cards = [tokenize(publishable_client(api), SUCCESS) for _ in range(3)]

    def pay(i):
        client = MerchantClient(api.secrets)
        return client.post(f"{V1}/installments/{second.public_id}/pay", {"payment_method_id": cards[i]}, format="json")

    results = run_together(3, pay)
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) >= 1 and set(codes) <= {200, 409}, [r.content for r in results]
    second.refresh_from_db()
    assert second.state == "paid"
    charges = PaymentTransaction.objects.filter(metadata__installment=second.public_id, state="completed")
    assert charges.count() == 1


def test_an_abandoned_application_expires_with_its_intent(api):
    _, intent = bnpl_intent(api)
    ok(confirm_bnpl(api, intent["id"]))
    assert payments_expire_due(now=timezone.now() + timedelta(minutes=31)) == 1
    application = BNPLApplication.objects.get()
    assert application.state == "expired"
    assert SimulatorBNPLCheckout.objects.get(reference=application.provider_reference).status == "canceled"
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "expired"
