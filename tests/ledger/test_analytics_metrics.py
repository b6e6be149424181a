"""The daily analytics rollup (idempotent recompute) and GET /metrics: the seed's
checkout KPIs, the analytics per day and per payment method."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from checkout.models import CheckoutSession
from ledger.models import BalanceTransaction, PaymentAnalytics
from ledger.services.analytics import analytics_rollup_day, analytics_rollup_recent
from payments.models import PaymentAttempt
from payments.simulator import processor
from tests.checkout.finalize_helpers import finalize, paid_session, ready_session, session_url
from tests.ledger.helpers import CAPTURED, FEE
from tests.payments.helpers import DECLINE, THREE_DS, V1, confirm, ok, paid_intent
from tests.refunds.helpers import captured_intent, request_refund

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 24)


def _day(hour):
    return time_machine.travel(f"{DAY.isoformat()} {hour:02d}:00Z", tick=False)


@pytest.fixture
def busy_day(api, django_capture_on_commit_callbacks):
    """Two captured payments (one of them finalized into an order five minutes after its
    session was created), a session canceled, a decline, a 3-D Secure challenge left
    open, a partial refund and a dispute, all on DAY."""
    with _day(9):
        first = captured_intent(api)
        bought = paid_session(api)["checkout_id"]
        abandoned = ready_session(api)["checkout_id"]
        ok(api.delete(session_url(abandoned)))
        _, declined = paid_intent(api, DECLINE)
        assert confirm(api, declined["id"]).status_code == 402
        _, challenged = paid_intent(api, THREE_DS)
        assert ok(confirm(api, challenged["id"]))["status"] == "requires_action"
    with time_machine.travel(f"{DAY.isoformat()} 09:05Z", tick=False):
        ok(finalize(api, bought), 201)
    with _day(11), django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, first, amount=700), 201)
    with _day(12), django_capture_on_commit_callbacks(execute=True):
        reference = PaymentAttempt.objects.get(transaction__public_id=first).gateway_reference
        processor.charge_dispute_open(reference=reference, reason="fraudulent")
    return api


def test_a_day_rolls_up_from_the_ledger_attempts_and_disputes(busy_day):
    merchant = busy_day.merchant
    assert analytics_rollup_day(day=DAY) == 1
    row = PaymentAnalytics.objects.get(merchant=merchant, date=DAY)
    assert (row.currency, row.total_transactions, row.successful_transactions) == ("USD", 4, 2)
    assert (row.total_amount, row.total_refunds, row.total_disputed) == (2 * CAPTURED, 700, CAPTURED - 700)
    assert (row.total_fees, row.chargeback_count, float(row.success_rate)) == (2 * FEE + 1500, 1, 0.5)
    cash = BalanceTransaction.objects.filter(merchant=merchant, cash=True)
    assert row.net_amount == sum(cash.values_list("net", flat=True))
    assert row.net_amount == row.total_amount - row.total_refunds - row.total_disputed - row.total_fees
    methods = {m.payment_method_type: (m.transaction_count, m.total_amount) for m in row.methods.all()}
    assert methods == {"card": (4, 2 * CAPTURED)}


def test_recomputing_a_day_replaces_it(busy_day):
    analytics_rollup_day(day=DAY)
    analytics_rollup_day(day=DAY)
    assert PaymentAnalytics.objects.filter(date=DAY).count() == 1
    assert PaymentAnalytics.objects.get(date=DAY).methods.count() == 1
    with time_machine.travel(f"{(DAY + timedelta(days=1)).isoformat()} 01:00Z", tick=False):
        assert analytics_rollup_recent() == 1  # yesterday (DAY) and an empty today


def test_metrics_answer_the_seeds_kpis_and_the_analytics(busy_day, other_api):
    merchant = busy_day.merchant
    analytics_rollup_day(day=DAY)
    body = ok(busy_day.get(f"{V1}/metrics", {"from": DAY.isoformat(), "to": DAY.isoformat()}))
    statuses = sorted(CheckoutSession.objects.filter(merchant=merchant).values_list("status", flat=True))
    assert statuses.count("completed") == 1 and statuses.count("canceled") == 1
    assert (body["checkout_initiated"], body["checkout_completed"], body["checkout_abandoned"]) == (5, 1, 1)
    assert (body["conversion_rate"], body["abandon_rate"]) == (0.2, 0.2)
    assert body["avg_time_to_purchase"] == 300.0
    assert (body["payment_attempts"], body["3ds_challenges"]) == (4, 1)
    assert [d["date"] for d in body["daily"]] == [DAY.isoformat()]
    assert body["daily"][0]["total_amount"] == 2 * CAPTURED
    assert body["daily"][0]["payment_methods"][0]["payment_method_type"] == "card"
    assert body["by_payment_method"] == [
        {"currency": "USD", "payment_method_type": "card", "transaction_count": 4, "total_amount": 2 * CAPTURED}
    ]
    # Another tenant sees nothing of it.
    other = ok(other_api.get(f"{V1}/metrics", {"from": DAY.isoformat(), "to": DAY.isoformat()}))
    assert (other["checkout_initiated"], other["daily"], other["avg_time_to_purchase"]) == (0, [], None)


def test_metrics_refuse_a_bad_range(api):
    assert api.get(f"{V1}/metrics", {"from": "2026-11-10", "to": "2026-11-01"}).status_code == 400
    assert api.get(f"{V1}/metrics", {"from": "2024-01-01", "to": "2026-01-01"}).status_code == 400
    bad = api.get(f"{V1}/metrics", {"from": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "from"
    today = ok(api.get(f"{V1}/metrics"))
    assert today["to"] == timezone.localdate().isoformat()


def test_metrics_read_in_a_flat_number_of_queries(api, django_assert_max_num_queries):
    for offset in range(5):
        PaymentAnalytics.objects.create(merchant=api.merchant, date=DAY - timedelta(days=offset), currency="USD")
    with django_assert_max_num_queries(12):
        body = ok(api.get(f"{V1}/metrics", {"from": (DAY - timedelta(days=10)).isoformat(), "to": DAY.isoformat()}))
    assert len(body["daily"]) == 5


def _charges(merchant, count):
    from django.db import transaction

    from ledger.services import balance_transaction_record

    with _day(10), transaction.atomic():
        for i in range(count):
            balance_transaction_record(
                merchant_id=merchant.pk, type="charge", amount=1000 + i, currency="USD",
                key=f"q{count}-{i}", source_type="payment", source_id=f"q{i}",
            )  # fmt: skip


def test_a_rollup_takes_the_same_queries_for_ten_rows_or_a_hundred(merchant, other_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _charges(merchant, 10)
    with CaptureQueriesContext(connection) as few:
        analytics_rollup_day(day=DAY)
    _charges(other_api.merchant, 100)
    _charges(merchant, 100)
    with CaptureQueriesContext(connection) as many:
        analytics_rollup_day(day=DAY, merchant_id=merchant.pk)
    assert len(many) <= len(few)
    assert PaymentAnalytics.objects.get(merchant=merchant).total_amount == sum(1000 + i for i in range(10)) + sum(
        1000 + i for i in range(100)
    )
