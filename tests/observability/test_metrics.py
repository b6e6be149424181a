"""Prometheus: our counters move when money moves (on commit only), and /metrics is guarded."""

import re

import pytest
from django.db import transaction
from prometheus_client import REGISTRY

from core import metrics
from tests.merchants.webhooks.conftest import accept_all, emit, make_endpoint
from tests.payments.helpers import (
    DECLINE,
    INSUFFICIENT_FUNDS,
    THREE_DS,
    V1,
    calculated_session,
    confirm,
    create_intent,
    ok,
    tokenize,
)

TOKEN = "metrics-test-token"


def value(name, **labels) -> float:
    return REGISTRY.get_sample_value(f"{name}_total", labels) or 0.0


def pay(api, number, capture):
    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"])
    with capture(execute=True):
        return confirm(api, intent["id"], tokenize(api, number)), session


def test_payments_count_by_outcome_and_decline_code(api, django_capture_on_commit_callbacks):
    before = {
        "ok": value("payments_outcomes", outcome="succeeded", decline_code="none"),
        "declined": value("payments_outcomes", outcome="failed", decline_code="generic_decline"),
        "funds": value("payments_outcomes", outcome="failed", decline_code="insufficient_funds"),
        "allow": value("fraud_decisions", decision="allow"),
        "done": value("checkout_finalizations", outcome="completed"),
    }
    response, session = pay(api, "4242424242424242", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert pay(api, DECLINE, django_capture_on_commit_callbacks)[0].status_code == 402
    assert pay(api, INSUFFICIENT_FUNDS, django_capture_on_commit_callbacks)[0].status_code == 402
    with django_capture_on_commit_callbacks(execute=True):
        ok(api.post(f"{V1}/sessions/{session['checkout_id']}/finalize", {}, format="json"), 201)

    assert value("payments_outcomes", outcome="succeeded", decline_code="none") == before["ok"] + 1
    assert value("payments_outcomes", outcome="failed", decline_code="generic_decline") == before["declined"] + 1
    assert value("payments_outcomes", outcome="failed", decline_code="insufficient_funds") == before["funds"] + 1
    assert value("fraud_decisions", decision="allow") == before["allow"] + 3
    assert value("checkout_finalizations", outcome="completed") == before["done"] + 1


def test_a_3ds_challenge_is_counted(api, django_capture_on_commit_callbacks):
    before = value("payments_3ds_challenges", result="challenged")
    response, _ = pay(api, THREE_DS, django_capture_on_commit_callbacks)
    assert response.json()["status"] == "requires_action"
    assert value("payments_3ds_challenges", result="challenged") == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_counts_nothing():
    before = value("refunds", outcome="completed")
    with pytest.raises(RuntimeError), transaction.atomic():
        metrics.count(metrics.REFUNDS, outcome="completed")
        raise RuntimeError("rolled back")
    assert value("refunds", outcome="completed") == before
    metrics.count(metrics.REFUNDS, outcome="completed")  # outside a transaction: at once
    assert value("refunds", outcome="completed") == before + 1


def test_labels_stay_in_a_closed_vocabulary():
    assert metrics.label("Do Not Honor!") == "do_not_honor"
    assert metrics.label("") == metrics.label(None) == "none"
    assert len(metrics.label("x" * 500)) == 40


@pytest.mark.django_db(transaction=True)
def test_webhook_deliveries_count_by_result(merchant, receiver):
    receiver.expect_request("/gone", method="POST").respond_with_data("", status=410)
    accept_all(receiver)
    before = {result: value("webhook_deliveries", result=result) for result in ("succeeded", "failed")}
    make_endpoint(merchant, receiver.url_for("/gone"))
    emit(merchant)  # delivered on commit (eager tasks in tests): 410 Gone fails it for good
    assert value("webhook_deliveries", result="failed") == before["failed"] + 1
    assert value("webhook_deliveries", result="succeeded") == before["succeeded"]
    make_endpoint(merchant, receiver.url_for("/hook"))
    emit(merchant)
    assert value("webhook_deliveries", result="succeeded") == before["succeeded"] + 1
    assert value("webhook_deliveries", result="failed") == before["failed"] + 1


def test_metrics_page_needs_the_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    refused = client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics").status_code == 401


@pytest.mark.django_db
def test_metrics_page_serves_ours_django_prometheus_and_the_queue_depth(client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in (
        "payments_outcomes_total",
        "payments_3ds_challenges_total",
        "webhook_deliveries_total",
        "checkout_finalizations_total",
        "refunds_total",
        "fraud_decisions_total",
        "django_http_requests_total_by_method_total",
        f'celery_queue_depth{{queue="{settings.CELERY_TASK_DEFAULT_QUEUE}"}}',
        "celery_broker_up 1.0",
    ):
        assert name in text, name
    assert re.search(r"^webhook_deliveries_pending \d+\.0$", text, re.M)
