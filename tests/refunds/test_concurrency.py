"""Completed and in-flight refunds never exceed the captured amount, whatever the timing:
real threads against PostgreSQL, each request in its own connection."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from payments.models import PaymentTransaction
from payments.simulator.models import SimulatorCharge
from refunds.models import RefundRequest
from tests.refunds.helpers import CAPTURED, captured_intent, request_refund

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 20


def run_concurrently(api, intent_id, amount):
    barrier = threading.Barrier(THREADS)
    answers = [None] * THREADS

    def worker(index):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.secrets.secret_key}")
            barrier.wait(timeout=10)
            response = request_refund(client, intent_id, amount=amount)
            answers[index] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return answers


def test_twenty_concurrent_refunds_of_a_tenth_plus_one_never_exceed_the_capture(api):
    intent_id = captured_intent(api)
    amount = CAPTURED // 10 + 1  # 501: nine fit in 5000, the tenth would not
    answers = run_concurrently(api, intent_id, amount)

    accepted = [body for status, body in answers if status == 201]
    refused = [body for status, body in answers if status != 201]
    assert len(accepted) == CAPTURED // amount == 9
    assert {status for status, _ in answers} == {201, 400}
    assert {body["error"]["code"] for body in refused} == {"refund_exceeds_captured"}
    assert RefundRequest.objects.count() == 9 and sum(r["amount"] for r in accepted) <= CAPTURED

    # Each accepted refund went to the gateway once its request committed (eager tasks).
    assert set(RefundRequest.objects.values_list("state", flat=True)) == {"completed"}
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert (payment.state, payment.amount_refunded) == ("partially_refunded", 9 * amount)
    assert SimulatorCharge.objects.get().amount_refunded == 9 * amount


def test_concurrent_full_refunds_refund_once(api):
    intent_id = captured_intent(api)
    answers = run_concurrently(api, intent_id, CAPTURED)
    assert sorted(status for status, _ in answers) == [201] + [400] * (THREADS - 1)
    payment = PaymentTransaction.objects.get(public_id=intent_id)
    assert (payment.state, payment.amount_refunded) == ("refunded", CAPTURED)
    assert SimulatorCharge.objects.get().amount_refunded == CAPTURED
