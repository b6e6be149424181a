"""A BNPL provider that does not answer the application: the janitor asks again with the
application's key, and gives up (failing the intent) once the checkout timeout passes."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.bnpl.models import BNPLApplication
from payments.bnpl.providers.simulator import SimulatorProvider
from payments.bnpl.providers.simulator_models import SimulatorBNPLCheckout
from payments.exceptions import GatewayUnavailable
from payments.services.maintenance import payments_settle_open
from tests.bnpl.helpers import bnpl_intent, confirm_bnpl
from tests.payments.helpers import intent_url, ok

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider_down(monkeypatch):
    """The provider's edge: every application call times out until `up()` is called."""
    answer = SimulatorProvider.apply
    state = {"down": True, "calls": 0}

    def apply(self, request):
        state["calls"] += 1
        if state["down"]:
            raise GatewayUnavailable("The BNPL provider did not answer.")
        return answer(self, request)

    monkeypatch.setattr(SimulatorProvider, "apply", apply)
    state["up"] = lambda: state.update(down=False)
    return state


def _unanswered(api):
    _, intent = bnpl_intent(api)
    refused = confirm_bnpl(api, intent["id"])
    assert refused.status_code == 502 and refused.json()["error"]["code"] == "gateway_unavailable"
    application = BNPLApplication.objects.get(payment__public_id=intent["id"])
    assert application.state == "pending"
    assert ok(api.get(intent_url(intent["id"])))["status"] == "processing"
    return intent, application


def test_the_janitor_asks_again_and_the_shopper_is_sent_to_the_provider(api, provider_down):
    intent, application = _unanswered(api)
    # Too soon: the first call may still be on its way.
    assert payments_settle_open() == 0 and provider_down["calls"] == 1
    provider_down["up"]()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert payments_settle_open() >= 1
    application.refresh_from_db()
    assert application.state == "approved" and application.provider_reference
    waiting = ok(api.get(intent_url(intent["id"])))
    assert waiting["status"] == "requires_action" and waiting["next_action"]["type"] == "redirect"
    # The same key: the provider opened one checkout, not one per call.
    assert SimulatorBNPLCheckout.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        payments_settle_open()
    assert BNPLApplication.objects.filter(payment__public_id=intent["id"]).count() == 1


def test_a_provider_silent_past_the_timeout_fails_the_intent(api, provider_down, settings):
    intent, application = _unanswered(api)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        payments_settle_open()
    application.refresh_from_db()
    assert application.state == "pending", "still within the checkout timeout: keep asking"
    later = timezone.now() + timedelta(minutes=settings.BNPL_CHECKOUT_TIMEOUT_MINUTES + 1)
    with time_machine.travel(later):
        payments_settle_open()
    application.refresh_from_db()
    assert application.state == "expired"
    failed = ok(api.get(intent_url(intent["id"])))
    assert failed["status"] in ("requires_payment_method", "failed")
    assert failed["last_payment_error"]["code"] == "bnpl_declined"
