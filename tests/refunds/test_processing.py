"""Approved → PROCESSING → the gateway → COMPLETED or FAILED: claim → call → record, the
stored key, the task's retries, and staff's retry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import DomainError
from merchants.models import Event
from payments.exceptions import GatewayUnavailable
from payments.gateways.simulator import SimulatorGateway
from payments.models import PaymentEvent, PaymentTransaction
from payments.simulator.models import SimulatorCharge
from refunds import services, tasks
from refunds.models import RefundRequest
from tests.payments.helpers import ok
from tests.refunds.helpers import ADMIN, CAPTURED, captured_intent, logged_in, request_refund, staff

pytestmark = pytest.mark.django_db
State = RefundRequest.State


class GatewayRefunds:
    """Wraps the simulator's refund call: records each call (and what the database held
    at that moment), and can fail the next `n` calls in a chosen way."""

    def __init__(self, monkeypatch):
        self.calls = []
        self.failures = []
        original = SimulatorGateway.refund

        def refund(gateway, *, reference, amount, idempotency_key):
            stored = RefundRequest.objects.filter(gateway_idempotency_key=idempotency_key).first()
            self.calls.append({"key": idempotency_key, "amount": amount, "stored": stored})
            if self.failures:
                raise self.failures.pop(0)
            return original(gateway, reference=reference, amount=amount, idempotency_key=idempotency_key)

        monkeypatch.setattr(SimulatorGateway, "refund", refund)

    def fail(self, error, times=1):
        self.failures.extend([error] * times)


@pytest.fixture
def gateway(monkeypatch):
    return GatewayRefunds(monkeypatch)


@pytest.fixture
def intent_id(api):
    return captured_intent(api)


def create(api, intent_id, commit, amount=2000):
    with commit(execute=True):
        refund = ok(request_refund(api, intent_id, amount=amount), 201)
    return RefundRequest.objects.get(public_id=refund["id"])


def approved(api, intent_id, amount=2000):
    """A refund approved and committed, its task not run yet."""
    refund = ok(request_refund(api, intent_id, amount=amount), 201)
    return RefundRequest.objects.get(public_id=refund["id"], state=State.APPROVED)


@pytest.fixture
def eager_retries(monkeypatch):
    """Eager tasks that do not propagate run their retries in turn, as a worker would
    (without the waits), so a test sees where the last try left the refund."""
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


def run_task(refund):
    return tasks.process_refund.apply(args=(refund.pk,)).get(propagate=False)


def test_the_key_is_stored_before_the_call_and_the_state_is_processing(
    api, intent_id, gateway, django_capture_on_commit_callbacks
):
    refund = create(api, intent_id, django_capture_on_commit_callbacks)
    [call] = gateway.calls
    assert call["key"] == f"{refund.public_id}:refund:1" and call["amount"] == 2000
    assert call["stored"].state == State.PROCESSING and call["stored"].call_started_at is not None
    refund.refresh_from_db()
    assert (refund.state, refund.call_started_at, refund.call_count) == (State.COMPLETED, None, 1)
    claimed = PaymentEvent.objects.get(type="refund.claimed")
    assert claimed.data == {"refund": refund.public_id, "amount": 2000, "key": call["key"]}
    assert SimulatorCharge.objects.get().operation_keys[-1] == call["key"]


def test_processing_twice_calls_the_gateway_once(api, intent_id, gateway, django_capture_on_commit_callbacks):
    refund = create(api, intent_id, django_capture_on_commit_callbacks)
    assert services.refund_process(refund_pk=refund.pk).state == State.COMPLETED
    assert tasks.process_refund.delay(refund.pk).get() == State.COMPLETED
    assert len(gateway.calls) == 1
    assert PaymentTransaction.objects.get(public_id=intent_id).amount_refunded == 2000


def test_no_answer_retries_then_fails_keeping_the_amount_then_staff_retry_succeeds(
    api, intent_id, gateway, approver, django_capture_on_commit_callbacks, eager_retries
):
    gateway.fail(GatewayUnavailable(), times=tasks.REFUND_MAX_RETRIES + 1)
    refund = approved(api, intent_id)
    assert run_task(refund) == State.FAILED
    refund.refresh_from_db()
    assert refund.state == State.FAILED and refund.outcome_unknown
    assert refund.last_error["code"] == "gateway_unavailable"
    # Every try repeated the same request.
    assert len(gateway.calls) == tasks.REFUND_MAX_RETRIES + 1
    assert {call["key"] for call in gateway.calls} == {f"{refund.public_id}:refund:1"}
    assert Event.objects.filter(type="refund.failed").count() == 1
    assert PaymentTransaction.objects.get(public_id=intent_id).state == "completed"
    # The gateway may have paid it: its amount stays held.
    refused = request_refund(api, intent_id, amount=CAPTURED - 1999)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "refund_exceeds_captured"

    with django_capture_on_commit_callbacks(execute=True):
        logged_in(approver).post(ADMIN, {"action": "retry_selected", "_selected_action": [refund.pk]})
    refund.refresh_from_db()
    assert refund.state == State.COMPLETED and gateway.calls[-1]["key"] == f"{refund.public_id}:refund:1"
    assert SimulatorCharge.objects.get().amount_refunded == 2000
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert (payment.state, payment.amount_refunded) == ("partially_refunded", 2000)


def test_a_transient_failure_is_retried_by_the_task(api, intent_id, gateway, eager_retries):
    gateway.fail(GatewayUnavailable(), times=2)
    refund = approved(api, intent_id)
    assert run_task(refund) == State.COMPLETED
    refund.refresh_from_db()
    assert refund.state == State.COMPLETED and len(gateway.calls) == 3
    assert [e.data["status"] for e in refund.events.filter(type="gateway.refund")] == [
        "no_answer",
        "no_answer",
        "succeeded",
    ]


def test_a_refusal_fails_at_once_frees_the_amount_and_a_retry_takes_a_new_key(
    api, intent_id, gateway, approver, django_capture_on_commit_callbacks
):
    gateway.fail(DomainError("This charge cannot be refunded by that much.", code="charge_not_refundable"))
    refund = create(api, intent_id, django_capture_on_commit_callbacks)
    refund.refresh_from_db()
    assert (refund.state, refund.outcome_unknown, refund.last_error["code"]) == (
        State.FAILED,
        False,
        "charge_not_refundable",
    )
    detail = ok(api.get(f"/v1/checkout/refunds/{refund.public_id}"))
    assert detail["failure"]["code"] == "charge_not_refundable" and len(gateway.calls) == 1
    assert PaymentEvent.objects.filter(type="refund.failed", data__outcome="refused").exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.refund_retry(refund_pk=refund.pk, user=approver)
    refund.refresh_from_db()
    assert refund.state == State.COMPLETED
    assert [call["key"] for call in gateway.calls] == [f"{refund.public_id}:refund:1", f"{refund.public_id}:refund:2"]
    assert refund.gateway_idempotency_key.endswith(":2")


def test_a_retry_after_a_refusal_must_still_fit(api, intent_id, gateway, approver, django_capture_on_commit_callbacks):
    gateway.fail(DomainError("No.", code="charge_not_refundable"))
    refund = create(api, intent_id, django_capture_on_commit_callbacks, amount=3000)
    create(api, intent_id, django_capture_on_commit_callbacks, amount=CAPTURED - 1000)  # uses the freed amount
    with pytest.raises(DomainError) as refused:
        services.refund_retry(refund_pk=refund.pk, user=approver)
    assert refused.value.code == "refund_exceeds_captured"
    refund.refresh_from_db()
    assert refund.state == State.FAILED


def test_retry_needs_a_failed_refund_and_an_approver(api, intent_id, approver, django_capture_on_commit_callbacks):
    refund = create(api, intent_id, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError) as wrong_state:
        services.refund_retry(refund_pk=refund.pk, user=approver)
    assert (wrong_state.value.code, wrong_state.value.status_code) == ("invalid_state_transition", 409)
    with pytest.raises(DomainError) as not_allowed:
        services.refund_retry(refund_pk=refund.pk, user=staff("clerk", approver=False))
    assert (not_allowed.value.code, not_allowed.value.status_code) == ("permission_denied", 403)


def test_a_lost_task_is_picked_up_by_the_sweeper(api, intent_id, gateway, django_capture_on_commit_callbacks):
    refund = approved(api, intent_id, amount=700)
    assert services.refunds_resume_stuck() == 0
    later = timezone.now() + timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.refunds_resume_stuck(now=later) == 1
    refund.refresh_from_db()
    assert refund.state == State.COMPLETED and len(gateway.calls) == 1


def test_backoff_is_exponential_and_capped():
    delays = [tasks.backoff_seconds(n) for n in range(12)]
    assert 8 <= delays[0] <= 10 and 16 <= delays[1] <= 20
    assert max(delays) <= tasks.REFUND_BACKOFF_MAX_SECONDS
    assert delays[-1] >= tasks.REFUND_BACKOFF_MAX_SECONDS * 0.8
