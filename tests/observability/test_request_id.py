"""One request id from the API call, through Celery, to the merchant's webhook and the log."""

import pytest

from core.logs import current_request_id
from core.request_id import bound_request_id, is_sane
from merchants.models import Event
from merchants.webhooks.models import WebhookDelivery
from tests.celery_worker import wait_until
from tests.merchants.webhooks.conftest import accept_all, make_endpoint
from tests.payments.helpers import DIGITAL_CART, V1, ok


@pytest.mark.parametrize(
    "given",
    ["3f0c1e5ad6b94c1e9d1c8c2e5f4a7b10", "req_abc123", "trace-0001:span.2", "a" * 128],
)
def test_a_sane_caller_id_is_kept_and_answered(api, given):
    response = api.get(f"{V1}/sessions", HTTP_X_REQUEST_ID=given)
    assert response.status_code == 200
    assert response["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given",
    ["", "a" * 129, "has space", "new\\nline", "<script>", "-leading-dash", "é-accent", "semi;colon"],
)
def test_an_unusable_caller_id_is_replaced(api, given):
    response = api.get(f"{V1}/sessions", HTTP_X_REQUEST_ID=given)
    assert response.status_code == 200
    answered = response["X-Request-ID"]
    assert answered != given and is_sane(answered) and len(answered) == 32


def test_every_response_has_its_own_id_even_refusals(api, anon_api):
    first = api.get(f"{V1}/sessions")["X-Request-ID"]
    second = api.get(f"{V1}/sessions")["X-Request-ID"]
    assert first != second
    assert anon_api.get(f"{V1}/sessions").status_code == 401
    assert is_sane(anon_api.get(f"{V1}/sessions")["X-Request-ID"])
    refused = api.get(f"{V1}/sessions?x=%00")  # refused by the guard before any view
    assert refused.status_code == 400 and is_sane(refused["X-Request-ID"])
    assert current_request_id() == ""  # nothing leaks into the next request on this thread


def test_the_event_a_request_causes_remembers_its_id(api):
    session = ok(api.post(f"{V1}/sessions", DIGITAL_CART, format="json", HTTP_X_REQUEST_ID="req_create_1"), 201)
    event = Event.objects.get(type="checkout.created", checkout_id=session["checkout_id"])
    assert event.request_id == "req_create_1"
    listed = ok(api.get(f"{V1}/events?request_id=req_create_1"))["data"]
    assert [row["id"] for row in listed] == [event.public_id] and listed[0]["request_id"] == "req_create_1"
    assert ok(api.get(f"{V1}/events?request_id=req_other"))["data"] == []


def test_an_eager_task_runs_under_the_request_id_and_gives_it_back():
    from config.celery import app

    seen = []

    @app.task(name="tests.observability.probe")
    def probe():
        seen.append(current_request_id())

    with bound_request_id("req_outer"):
        probe.delay()
        assert current_request_id() == "req_outer"
    assert seen == ["req_outer"]
    probe.delay()  # outside any request: a scheduled job gets an id of its own
    assert is_sane(seen[1]) and seen[1] != "req_outer"
    assert current_request_id() == ""


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_one_id_from_the_api_call_through_the_worker_to_the_webhook_and_the_log(celery_worker, api, receiver):
    accept_all(receiver)
    make_endpoint(api.merchant, receiver.url_for("/hook"), events=["checkout.created"])
    request_id = "req_trace_0123456789"

    response = api.post(f"{V1}/sessions", DIGITAL_CART, format="json", HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 201 and response["X-Request-ID"] == request_id

    delivery = wait_until(lambda: WebhookDelivery.objects.filter(state="succeeded").first(), timeout=30)
    ((received, _),) = receiver.log
    assert received.headers["X-Request-ID"] == request_id
    assert delivery.event.request_id == request_id
    # The worker's own lines for this delivery name the request (dispatch and delivery tasks).
    log = celery_worker.log_file.read_text()
    lines = [line for line in log.splitlines() if f"request_id={request_id}" in line]
    assert any(f"Webhook {delivery.public_id} attempt 1: succeeded." in line for line in lines), log
    assert any("merchants.webhooks.dispatch_event" in line for line in lines), log
