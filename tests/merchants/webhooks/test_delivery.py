import logging
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from werkzeug import Response

from merchants.models import Event
from merchants.webhook_delivery import (
    delivery_attempt,
    delivery_claim,
    delivery_record,
    delivery_retry_now,
    delivery_send,
    event_dispatch,
    event_replay,
    retry_delay,
    webhooks_sweep,
)
from merchants.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from merchants.webhooks.services import callback_secret_rotate
from tests.factories import merchant_with_keys

from .conftest import accept_all, bodies, emit, free_port, make_endpoint, verified

pytestmark = pytest.mark.django_db


def deliver_all(event):
    """Fan-out, then one attempt per due delivery, as the on-commit task would."""
    return [delivery_attempt(delivery_id=pk) for pk in event_dispatch(event_id=event.pk)]


def test_event_arrives_signed_with_the_full_payload_and_is_logged(merchant, receiver):
    accept_all(receiver)
    endpoint, secret = make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant, checkout_id="cs_1", payment_intent_id="pi_1", correlation_id="req_9")
    assert deliver_all(event) == ["succeeded"]

    ((request, _),) = receiver.log
    payload = verified(request, secret)
    delivery = WebhookDelivery.objects.get(event=event, endpoint=endpoint)
    assert request.headers["webhook-id"] == delivery.public_id
    assert request.headers["Content-Type"] == "application/json"
    assert payload == {
        "id": event.public_id,
        "object": "event",
        "type": "payment.succeeded",
        "created": payload["created"],
        "merchant": merchant.public_id,
        "checkout_id": "cs_1",
        "payment_intent_id": "pi_1",
        "correlation_id": "req_9",
        "request_id": None,
        "data": {"before": {"status": "processing"}, "after": {"status": "succeeded"}},
    }
    assert payload["created"].endswith("Z")
    assert delivery.state == "succeeded" and delivery.attempt_count == 1 and delivery.next_attempt_at is None
    attempt = delivery.attempts.get()
    assert (attempt.number, attempt.succeeded, attempt.status_code, attempt.response_excerpt) == (1, True, 200, "ok")
    assert attempt.latency_ms >= 0


def test_a_tampered_body_fails_verification(merchant, receiver):
    accept_all(receiver)
    _, secret = make_endpoint(merchant, receiver.url_for("/hook"))
    deliver_all(emit(merchant))
    ((request, _),) = receiver.log
    tampered = request.get_data().replace(b"succeeded", b"refunded")
    assert tampered != request.get_data()
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, dict(request.headers))


def test_wildcards_pick_the_subscribed_events(merchant):
    payments, _ = make_endpoint(merchant, "http://127.0.0.1:9/a", events=["payment.*"])
    completed, _ = make_endpoint(merchant, "http://127.0.0.1:9/b", events=["checkout.completed"])
    everything, _ = make_endpoint(merchant, "http://127.0.0.1:9/c", events=["*"])
    for type in ("payment.succeeded", "payment.requires_action", "checkout.completed", "checkout.created"):
        event_dispatch(event_id=emit(merchant, type=type).pk)

    def received(endpoint):
        return sorted(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("event__type", flat=True))

    assert received(payments) == ["payment.requires_action", "payment.succeeded"]
    assert received(completed) == ["checkout.completed"]
    assert len(received(everything)) == 4


def test_events_of_one_merchant_never_reach_another(merchant, receiver):
    accept_all(receiver)
    other = merchant_with_keys("Other Corp").merchant
    mine, _ = make_endpoint(merchant, receiver.url_for("/hook"))
    theirs, _ = make_endpoint(other, receiver.url_for("/hook"))
    for type in ("payment.succeeded", "checkout.completed", "checkout.canceled"):
        deliver_all(emit(merchant, type=type))
    assert WebhookDelivery.objects.filter(endpoint=theirs).count() == 0
    assert WebhookDelivery.objects.filter(endpoint=mine, state="succeeded").count() == 3
    assert {body["merchant"] for body in bodies(receiver)} == {merchant.public_id}


def test_endpoints_created_after_the_event_do_not_get_it(merchant):
    event = emit(merchant)
    make_endpoint(merchant, "http://127.0.0.1:9/late")
    assert event_dispatch(event_id=event.pk) == []


def test_non_2xx_is_retried_on_the_schedule_with_jitter(merchant, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = [5, 300]
    accept_all(receiver, status=500, body="boom")
    endpoint, _ = make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)
    before = timezone.now()
    assert deliver_all(event) == ["retrying"]
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.state == "pending" and delivery.attempt_count == 1 and delivery.claimed_at is None
    assert before + timedelta(seconds=4.4) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=5.6)
    attempt = delivery.attempts.get()
    assert (attempt.status_code, attempt.error, attempt.response_excerpt) == (500, "HTTP 500.", "boom")
    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint.failing_since is not None and endpoint.status == "enabled"
    # Not due yet: a duplicate task does nothing.
    assert delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.log) == 1


def test_retry_schedule_is_documented_and_about_three_days(settings):
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    assert schedule == [5, 300, 1800, 7200, 18000, 36000, 36000, 50400, 72000, 36000]
    assert 2.9 < sum(schedule) / 86400 < 3.1
    settings.WEBHOOK_RETRY_JITTER = 0.1
    delays = [retry_delay(2) for _ in range(50)]
    assert all(270 <= d <= 330 for d in delays) and len(set(delays)) > 1
    assert retry_delay(len(schedule) + 1) is None


def test_gives_up_after_the_last_scheduled_attempt(merchant, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = [0, 0]
    accept_all(receiver, status=503)
    make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)
    outcomes = deliver_all(event)
    delivery = WebhookDelivery.objects.get(event=event)
    for _ in range(5):  # bounded: the schedule allows 3 attempts in all
        if delivery.state != "pending":
            break
        outcomes.append(delivery_attempt(delivery_id=delivery.pk))
        delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert outcomes == ["retrying", "retrying", "failed"]
    assert delivery.state == "failed" and delivery.next_attempt_at is None
    assert delivery.failure_reason.startswith("Gave up after 3 attempt(s)")
    assert list(delivery.attempts.values_list("number", flat=True)) == [1, 2, 3]
    assert webhooks_sweep()["requeued"] == 0


def test_410_gone_disables_the_endpoint_at_once_and_emails_the_merchant(
    merchant, receiver, django_capture_on_commit_callbacks
):
    merchant.support_email = "ops@acme.example"
    merchant.save()
    accept_all(receiver, status=410)
    endpoint, _ = make_endpoint(merchant, receiver.url_for("/hook"))
    first, second = emit(merchant), emit(merchant)
    event_dispatch(event_id=first.pk)
    event_dispatch(event_id=second.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_attempt(delivery_id=WebhookDelivery.objects.get(event=first).pk) == "failed"
    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint.status == "disabled" and "410" in endpoint.disabled_reason
    assert Event.objects.filter(type="webhook_endpoint.disabled", merchant=merchant).count() == 1
    (message,) = mail.outbox
    assert message.to == ["ops@acme.example"] and endpoint.url in message.body
    assert endpoint.public_id in message.body
    # The other pending delivery is given up without another request.
    assert delivery_attempt(delivery_id=WebhookDelivery.objects.get(event=second).pk) == "skipped"
    assert WebhookDelivery.objects.get(event=second).state == "failed"
    assert len(receiver.log) == 1


def test_an_endpoint_failing_for_days_is_disabled(merchant, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_DISABLE_AFTER_DAYS = 5
    merchant.support_email = "ops@acme.example"
    merchant.save()
    accept_all(receiver, status=500)
    endpoint, _ = make_endpoint(merchant, receiver.url_for("/hook"))
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=4))
    deliver_all(emit(merchant))
    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint.status == "enabled"
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=5, hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(emit(merchant))
    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint.status == "disabled" and "5 days" in endpoint.disabled_reason
    assert len(mail.outbox) == 1


def test_a_success_ends_the_failing_streak(merchant, receiver):
    accept_all(receiver)
    endpoint, _ = make_endpoint(merchant, receiver.url_for("/hook"))
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=2))
    deliver_all(emit(merchant))
    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint.failing_since is None


def test_timeout_is_a_failed_attempt(merchant, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3

    def slow(request):
        time.sleep(1)
        return Response("late")

    receiver.expect_request("/hook").respond_with_handler(slow)
    make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)
    assert deliver_all(event) == ["retrying"]
    attempt = WebhookAttempt.objects.get(delivery__event=event)
    assert attempt.status_code is None and attempt.error.startswith("Timed out")


def test_redirects_are_not_followed(merchant, receiver):
    receiver.expect_request("/hook").respond_with_data("", status=302, headers={"Location": "/elsewhere"})
    receiver.expect_request("/elsewhere").respond_with_data("ok")
    make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)
    assert deliver_all(event) == ["retrying"]
    attempt = WebhookAttempt.objects.get(delivery__event=event)
    assert attempt.status_code == 302 and "not followed" in attempt.error
    assert [request.path for request, _ in receiver.log] == ["/hook"]


def test_the_response_excerpt_is_truncated(merchant, receiver):
    accept_all(receiver, body="x" * 50_000)
    make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)
    deliver_all(event)
    assert WebhookAttempt.objects.get(delivery__event=event).response_excerpt == "x" * 1024


def test_receiver_down_is_a_connection_error(merchant):
    make_endpoint(merchant, f"http://127.0.0.1:{free_port()}/hook")
    event = emit(merchant)
    assert deliver_all(event) == ["retrying"]
    attempt = WebhookAttempt.objects.get(delivery__event=event)
    assert attempt.status_code is None and "ConnectionError" in attempt.error


def test_worker_dying_between_claim_and_record_is_redelivered_with_the_same_id(merchant, receiver, settings):
    settings.WEBHOOK_CLAIM_LEASE_SECONDS = 0.5
    settings.WEBHOOK_SWEEP_GRACE_SECONDS = 0
    accept_all(receiver)
    _, secret = make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)
    (delivery_id,) = event_dispatch(event_id=event.pk)
    dead = delivery_claim(delivery_id=delivery_id)  # ...and the worker dies here: nothing recorded
    assert dead.attempt_number == 1
    # While the lease holds, nobody else may take it.
    assert delivery_attempt(delivery_id=delivery_id) == "skipped"
    assert webhooks_sweep()["requeued"] == 0
    time.sleep(0.6)
    assert webhooks_sweep()["requeued"] == 1  # eager in tests: the re-queued task ran
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert delivery.state == "succeeded" and delivery.attempt_count == 2
    ((request, _),) = receiver.log
    assert request.headers["webhook-id"] == dead.webhook_id == delivery.public_id
    assert verified(request, secret)["id"] == event.public_id
    # The presumed-dead worker wakes up and records late: logged, state untouched.
    assert delivery_record(claim=dead, result=delivery_send(dead)) == "superseded"
    delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert delivery.state == "succeeded"
    assert list(delivery.attempts.values_list("number", flat=True)) == [1, 2]
    assert {r.headers["webhook-id"] for r, _ in receiver.log} == {delivery.public_id}


def test_sweeper_dispatches_events_the_process_never_handed_over(
    merchant, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_SWEEP_GRACE_SECONDS = 0
    accept_all(receiver)
    make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)  # the on-commit hand-over never runs in this test transaction
    assert Event.objects.get(pk=event.pk).dispatched_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_sweep() == {"dispatched": 1, "requeued": 0}
    assert WebhookDelivery.objects.get(event=event).state == "succeeded"
    assert webhooks_sweep() == {"dispatched": 0, "requeued": 0}
    assert len(receiver.log) == 1


def test_dispatch_twice_creates_one_delivery(merchant):
    make_endpoint(merchant, "http://127.0.0.1:9/hook")
    event = emit(merchant)
    event_dispatch(event_id=event.pk)
    event_dispatch(event_id=event.pk, force=True)
    assert WebhookDelivery.objects.filter(event=event).count() == 1


def test_retry_now_and_replay_resend_with_the_same_webhook_id(merchant, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = []
    accept_all(receiver, status=500)
    make_endpoint(merchant, receiver.url_for("/hook"))
    event = emit(merchant)
    assert deliver_all(event) == ["failed"]
    delivery = WebhookDelivery.objects.get(event=event)
    receiver.clear()
    accept_all(receiver)
    assert delivery_retry_now(delivery_id=delivery.pk) is True
    assert delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    assert event_replay(event_id=event.pk) == 1
    assert delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    assert [r.headers["webhook-id"] for r, _ in receiver.log] == [delivery.public_id] * 2
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempt_count == 3


def test_retry_now_leaves_an_attempt_in_flight_alone(merchant):
    make_endpoint(merchant, "http://127.0.0.1:9/hook")
    (delivery_id,) = event_dispatch(event_id=emit(merchant).pk)
    assert delivery_claim(delivery_id=delivery_id) is not None
    assert delivery_retry_now(delivery_id=delivery_id) is False


def test_callbacks_are_signed_with_the_callback_secret_and_need_exactly_200(merchant, receiver):
    receiver.expect_ordered_request("/cb").respond_with_data("", status=204)
    receiver.expect_ordered_request("/cb").respond_with_data("OK", status=200)
    callback_url = receiver.url_for("/cb")
    event = emit(merchant, type="checkout.completed", checkout_id="cs_9", callback_url=callback_url)
    assert deliver_all(event) == ["retrying"]
    delivery = WebhookDelivery.objects.select_related("endpoint").get(event=event)
    assert delivery.endpoint.kind == "callback" and delivery.endpoint.url == callback_url
    assert "acknowledged with 200" in delivery.attempts.get().error
    # The merchant learns the callback secret by rotating it; the first one (made on
    # demand) keeps signing for the overlap, so the next delivery verifies with the new one.
    secret = callback_secret_rotate(merchant_id=merchant.pk)
    assert delivery_retry_now(delivery_id=delivery.pk)
    assert delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    request, _ = receiver.log[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verified(request, secret)["checkout_id"] == "cs_9"
    # A second session with the same callback URL reuses the target.
    deliver_all(emit(merchant, type="checkout.canceled", callback_url=callback_url))
    assert WebhookEndpoint.objects.filter(kind="callback").count() == 1


def test_callback_targets_are_not_subscribed_endpoints(merchant):
    event_dispatch(event_id=emit(merchant, type="checkout.completed", callback_url="http://127.0.0.1:9/cb").pk)
    (target,) = WebhookEndpoint.objects.filter(kind="callback")
    event_dispatch(event_id=emit(merchant, type="checkout.created").pk)
    assert target.deliveries.count() == 1


def test_secrets_never_reach_the_logs(merchant, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    accept_all(receiver, status=500)
    _, secret = make_endpoint(merchant, receiver.url_for("/hook"))
    deliver_all(emit(merchant))
    assert caplog.records
    assert secret not in caplog.text and secret[6:] not in caplog.text
