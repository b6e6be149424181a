"""The simulator sends its outcomes as signed webhooks, later, through Celery: over HTTP
when it has an address, and through a real worker end to end."""

import pytest

from payments.models import GatewayEvent
from payments.simulator import processor
from payments.simulator.models import SimulatorDelivery
from payments.simulator.signing import SIGNATURE_HEADER, signature_verify
from tests.celery_worker import wait_until
from tests.payments.helpers import confirm, ok, paid_intent


@pytest.mark.django_db
def test_http_delivery_is_signed_and_retried_on_failure(api, settings, httpserver):
    _, intent = paid_intent(api)
    ok(confirm(api, intent["id"]))  # not transactional: the webhook is written, not yet sent
    delivery = SimulatorDelivery.objects.get(kind="webhook")
    settings.PAYMENTS_SIMULATOR_WEBHOOK_BASE_URL = httpserver.url_for("").rstrip("/")

    httpserver.expect_oneshot_request("/v1/checkout/webhook/payment", method="POST").respond_with_data("no", status=500)
    with pytest.raises(ConnectionError):
        processor.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.delivered_at is None and delivery.last_error == "HTTP 500" and delivery.attempts == 1

    httpserver.expect_oneshot_request("/v1/checkout/webhook/payment", method="POST").respond_with_data("ok")
    processor.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and delivery.attempts == 2
    request, _ = httpserver.log[-1]
    assert request.get_data() == delivery.body.encode()
    signature_verify(request.get_data(), request.headers[SIGNATURE_HEADER])  # raises if it does not verify
    processor.delivery_send(delivery_id=delivery.pk)  # already delivered: nothing is sent again
    assert len(httpserver.log) == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_and_processes_the_webhook(api, celery_worker):
    _, intent = paid_intent(api)
    assert ok(confirm(api, intent["id"]))["status"] == "succeeded"  # the synchronous answer
    # Then, asynchronously: simulator → signed webhook → stored → processed by the worker.
    event = wait_until(
        lambda: GatewayEvent.objects.filter(type="payment.succeeded", status="processed").first(), timeout=30
    )
    assert event.payload["data"]["object"]["metadata"]["payment_intent"] == intent["id"]
    assert SimulatorDelivery.objects.filter(delivered_at__isnull=False).count() == 1
