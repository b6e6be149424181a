"""Claim → call → record: no gateway call inside a transaction, one key per attempt reused
by every repetition, and 20 concurrent confirms making exactly one authorization."""

import threading

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from payments.exceptions import GatewayUnavailable
from payments.gateways import base
from payments.gateways.simulator import SimulatorGateway
from payments.models import PaymentAttempt, PaymentTransaction
from payments.services import confirm as confirm_module
from payments.services import payment_intent_confirm
from payments.services.maintenance import payments_settle_open
from payments.simulator import processor
from payments.simulator.models import SimulatorCharge
from tests.payments.helpers import (
    SUCCESS,
    calculated_session,
    confirm,
    create_intent,
    intent_url,
    ok,
    paid_intent,
    tokenize,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def test_a_gateway_call_inside_a_transaction_is_refused(api):
    _, intent = paid_intent(api)
    token = PaymentTransaction.objects.get(public_id=intent["id"]).payment_method.token
    request = base.AuthorizeRequest(
        amount=100, currency="USD", token=token, capture=True, idempotency_key="k1", return_url="", metadata={}
    )
    with pytest.raises(RuntimeError, match="inside a database transaction"), transaction.atomic():
        SimulatorGateway().authorize(request)
    assert SimulatorCharge.objects.count() == 0


def test_confirm_calls_the_gateway_with_no_transaction_open(api, monkeypatch):
    seen = []
    original = SimulatorGateway.authorize

    def spy(gateway, request):
        seen.append((connection.in_atomic_block, request.idempotency_key))
        return original(gateway, request)

    monkeypatch.setattr(SimulatorGateway, "authorize", spy)
    _, intent = paid_intent(api)
    ok(confirm(api, intent["id"]))
    attempt = PaymentAttempt.objects.get(transaction__public_id=intent["id"])
    assert seen == [(False, attempt.idempotency_key)]
    assert attempt.call_count == 1 and attempt.duration_ms is not None and attempt.answered_at


def _flaky_authorize(monkeypatch, keys):
    original = SimulatorGateway.authorize

    def flaky(gateway, request):
        keys.append(request.idempotency_key)
        if len(keys) == 1:
            # The processor did charge, but its answer never reached us (a timeout).
            original(gateway, request)
            raise GatewayUnavailable()
        return original(gateway, request)

    monkeypatch.setattr(SimulatorGateway, "authorize", flaky)


def test_no_answer_then_retry_reuses_the_key_and_charges_once(api, monkeypatch):
    monkeypatch.setattr(processor, "_announce", lambda *args, **kwargs: None)  # no webhook this time
    keys = []
    _flaky_authorize(monkeypatch, keys)
    _, intent = paid_intent(api)
    first = confirm(api, intent["id"])
    assert first.status_code == 502 and first.json()["error"]["code"] == "gateway_unavailable"
    attempt = PaymentAttempt.objects.get(transaction__public_id=intent["id"])
    assert attempt.status == "unknown"
    assert ok(api.get(intent_url(intent["id"])))["status"] == "processing"

    retried = ok(confirm(api, intent["id"]))
    assert retried["status"] == "succeeded" and retried["attempts"] == 1
    assert keys == [attempt.idempotency_key, attempt.idempotency_key]
    assert SimulatorCharge.objects.count() == 1


def test_no_answer_but_the_webhook_settled_it(api, monkeypatch):
    keys = []
    _flaky_authorize(monkeypatch, keys)
    _, intent = paid_intent(api)
    # The processor's webhook (delivered during the call here) told us what the answer would have.
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    assert len(keys) == 1


class Crash(Exception):
    """Stands for the process dying between the gateway's answer and its record."""


def _confirm_then_die(api, intent_id):
    def die(**kwargs):
        raise Crash()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(confirm_module, "_record_answer", die)
        patch.setattr(processor, "_announce", lambda *args, **kwargs: None)  # nor did a webhook come
        with pytest.raises(Crash):
            payment_intent_confirm(merchant_id=api.merchant.pk, payment_intent_id=intent_id, actor="test")


def test_janitor_settles_an_attempt_whose_process_died(api, monkeypatch, settings, authorize_calls):
    _, intent = paid_intent(api)
    _confirm_then_die(api, intent["id"])
    attempt = PaymentAttempt.objects.get(transaction__public_id=intent["id"])
    assert attempt.status == "pending" and SimulatorCharge.objects.count() == 1

    # Fresh claims are left alone: their call may still be under way.
    assert payments_settle_open() == 0
    settings.PAYMENTS_CALL_STALE_SECONDS = 0
    assert payments_settle_open() == 1
    assert [call.idempotency_key for call in authorize_calls.calls] == [attempt.idempotency_key] * 2
    assert PaymentTransaction.objects.get(public_id=intent["id"]).state == "completed"
    assert SimulatorCharge.objects.count() == 1


def test_retried_confirm_after_a_dead_process_reuses_the_key(api, monkeypatch, settings):
    _, intent = paid_intent(api)
    _confirm_then_die(api, intent["id"])
    key = PaymentAttempt.objects.get(transaction__public_id=intent["id"]).idempotency_key
    settings.PAYMENTS_CALL_STALE_SECONDS = 0
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"
    assert SimulatorCharge.objects.get().idempotency_key == key


def test_twenty_concurrent_confirms_make_one_authorization(api, authorize_calls):
    _, intent = paid_intent(api)
    barrier = threading.Barrier(THREADS)
    answers = [None] * THREADS

    def worker(index):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.secrets.secret_key}")
            barrier.wait(timeout=10)
            response = confirm(client, intent["id"])
            answers[index] = (response.status_code, response.json().get("status"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert authorize_calls.count == 1
    assert answers == [(200, "succeeded")] * THREADS
    assert SimulatorCharge.objects.count() == 1
    assert PaymentAttempt.objects.filter(transaction__public_id=intent["id"]).count() == 1


def test_confirm_replays_with_the_same_idempotency_key(api, authorize_calls):
    _, intent = paid_intent(api)
    first = confirm(api, intent["id"], HTTP_IDEMPOTENCY_KEY="confirm-1")
    second = confirm(api, intent["id"], HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert first.status_code == second.status_code == 200
    assert second["Idempotent-Replayed"] == "true" and second.content == first.content
    assert authorize_calls.count == 1


def test_a_declined_confirm_replays_its_402(api, authorize_calls):
    from tests.payments.helpers import DECLINE, tokenize

    _, intent = paid_intent(api, DECLINE)
    first = confirm(api, intent["id"], HTTP_IDEMPOTENCY_KEY="confirm-d")
    second = confirm(api, intent["id"], HTTP_IDEMPOTENCY_KEY="confirm-d")
    assert first.status_code == second.status_code == 402 and second.content == first.content
    assert authorize_calls.count == 1
    assert ok(confirm(api, intent["id"], tokenize(api, SUCCESS)))["status"] == "succeeded"
    assert authorize_calls.count == 2


def test_a_definite_gateway_refusal_fails_the_attempt_instead_of_leaving_it_unknown(api, monkeypatch):
    from core.exceptions import DomainError
    from payments.gateways.simulator import SimulatorGateway
    from payments.models import PaymentAttempt

    def refuse(gateway, request):
        raise DomainError("The gateway refused the request.", code="gateway_rejected", status_code=409)

    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    monkeypatch.setattr(SimulatorGateway, "authorize", refuse)
    response = confirm(api, intent["id"], tokenize(api))
    assert response.status_code == 409 and response.json()["error"]["code"] == "gateway_rejected"
    attempt = PaymentAttempt.objects.get(transaction__public_id=intent["id"])
    assert attempt.status == "failed", "a refusal is an answer: nothing is left to repeat"
    assert ok(api.get(intent_url(intent["id"])))["status"] != "processing"
