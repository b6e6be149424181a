"""Every money movement writes its balance transaction in the same database transaction:
card charges and captures, refunds, disputes opened, won and lost."""

from datetime import date

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from ledger.models import BalanceTransaction, MerchantPricing
from ledger.pricing import add_business_days
from payments.models import PaymentAttempt
from payments.simulator import processor
from tests.ledger.helpers import CAPTURED, FEE, expected_net, ledger_net, rows
from tests.payments.helpers import V1, intent_url, ok
from tests.refunds.helpers import captured_intent, request_refund

pytestmark = pytest.mark.django_db


def test_a_card_charge_records_gross_fee_and_net_available_two_business_days_later(api):
    with time_machine.travel("2026-11-27 10:00Z", tick=False):  # a Friday
        intent_id = captured_intent(api)
    txn = BalanceTransaction.objects.get(merchant=api.merchant)
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.currency) == ("charge", CAPTURED, FEE, CAPTURED - FEE, "USD")
    assert txn.available_on == date(2026, 12, 1)  # Friday + 2 business days = Tuesday
    assert (txn.source_type, txn.source_id, txn.payment.public_id, txn.cash) == ("payment", intent_id, intent_id, True)
    assert ledger_net(api.merchant) == expected_net(api.merchant) == CAPTURED - FEE


def test_the_merchant_pricing_and_delay_are_its_own(api):
    MerchantPricing.objects.create(merchant=api.merchant, card_percent_bps=150, card_fixed=0, payout_delay_days=0)
    captured_intent(api)
    txn = BalanceTransaction.objects.get(merchant=api.merchant)
    assert (txn.fee, txn.net) == (75, CAPTURED - 75)
    assert txn.available_on == txn.created_at.date()


def test_a_change_of_pricing_prices_the_next_charge(api):
    # Each process keeps the pricing in memory (ledger/pricing.py): a change outdates it.
    captured_intent(api)
    pricing = MerchantPricing.objects.create(merchant=api.merchant, card_percent_bps=150, card_fixed=0)
    captured_intent(api)
    pricing.card_percent_bps = 200
    pricing.save()
    captured_intent(api)
    fees = list(BalanceTransaction.objects.filter(merchant=api.merchant).order_by("pk").values_list("fee", flat=True))
    assert fees == [FEE, 75, 100]


def test_manual_capture_records_the_charge_at_capture_only(api):
    from tests.payments.helpers import attach, calculated_session, confirm, create_intent, tokenize

    session = calculated_session(api)
    intent = create_intent(api, session["checkout_id"], capture_mode="manual")
    ok(attach(api, intent["id"], tokenize(api)))
    assert ok(confirm(api, intent["id"]))["status"] == "requires_capture"
    assert rows(api.merchant) == []
    ok(api.post(intent_url(intent["id"], "capture"), {"amount": 3000}, format="json"))
    assert rows(api.merchant) == [("charge", 3000, 117, 2883, "USD")]  # 87 + 30


def test_refunds_are_negative_and_return_no_fee(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent_id, amount=1200), 201)
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent_id), 201)  # the rest
    assert rows(api.merchant) == [
        ("charge", CAPTURED, FEE, CAPTURED - FEE, "USD"),
        ("refund", -1200, 0, -1200, "USD"),
        ("refund", -3800, 0, -3800, "USD"),
    ]
    refunds = BalanceTransaction.objects.filter(type="refund")
    assert all(t.available_on == t.created_at.date() for t in refunds)
    assert ledger_net(api.merchant) == expected_net(api.merchant) == -FEE


def _charge_reference(intent_id):
    return PaymentAttempt.objects.get(transaction__public_id=intent_id).gateway_reference


def test_a_dispute_withdraws_the_money_and_its_fee_and_a_win_returns_the_money(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    with django_capture_on_commit_callbacks(execute=True):
        dispute = processor.charge_dispute_open(reference=_charge_reference(intent_id), reason="fraudulent")
    assert rows(api.merchant, type="dispute") == [("dispute", -CAPTURED, 1500, -CAPTURED - 1500, "USD")]
    assert ledger_net(api.merchant) == expected_net(api.merchant, open_disputes=CAPTURED)
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_close(reference=_charge_reference(intent_id), won=True)
    assert rows(api.merchant, type="dispute_reversal") == [("dispute_reversal", CAPTURED, 0, CAPTURED, "USD")]
    assert BalanceTransaction.objects.get(type="dispute").source_id == dispute["id"]
    assert ledger_net(api.merchant) == expected_net(api.merchant) == CAPTURED - FEE - 1500


def test_a_lost_dispute_moves_nothing_more_than_its_opening(api, django_capture_on_commit_callbacks):
    intent_id = captured_intent(api)
    with django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent_id, amount=1000), 201)
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_open(reference=_charge_reference(intent_id), reason="fraudulent")
    with django_capture_on_commit_callbacks(execute=True):
        processor.charge_dispute_close(reference=_charge_reference(intent_id), won=False)
    # The simulator disputes the whole charge; only what was left (4000) can be withdrawn.
    assert rows(api.merchant, type="dispute") == [("dispute", -4000, 1500, -5500, "USD")]
    assert not BalanceTransaction.objects.filter(type="dispute_reversal").exists()
    assert ledger_net(api.merchant) == expected_net(api.merchant) == -FEE - 1500


def test_a_redelivered_movement_records_nothing_twice(api):
    from payments import hooks

    intent_id = captured_intent(api)
    payment = BalanceTransaction.objects.get().payment
    movement = hooks.MoneyMovement(
        kind=hooks.CHARGE,
        merchant_id=api.merchant.pk,
        amount=CAPTURED,
        currency="USD",
        key=f"charge:{intent_id}",
        source_type="payment",
        source_id=intent_id,
        payment_pk=payment.pk,
    )
    with transaction.atomic():
        hooks.money_moved(movement)
    assert BalanceTransaction.objects.count() == 1


def test_a_key_recorded_again_writes_nothing_and_answers_the_row_recorded_under_it(api):
    from django.test.utils import CaptureQueriesContext

    from ledger.services import balance_transaction_record

    def record(amount):
        return balance_transaction_record(
            merchant_id=api.merchant.pk, type="adjustment", amount=amount, currency="USD", key="adjustment:1",
            source_type="adjustment", source_id="adj_1", fee=0,
        )  # fmt: skip

    with transaction.atomic(), CaptureQueriesContext(connection) as first_queries:
        first = record(700)
    assert len(first_queries.captured_queries) == 1  # the key's check is the INSERT's own
    with transaction.atomic():
        again = record(900)
    assert again.pk == first.pk and again.amount == 700
    assert list(BalanceTransaction.objects.values_list("key", "amount")) == [("adjustment:1", 700)]


def test_rows_are_append_only(api):
    captured_intent(api)
    txn = BalanceTransaction.objects.get()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        BalanceTransaction.objects.filter(pk=txn.pk).update(amount=1)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_balancetransaction WHERE id = %s", [txn.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        BalanceTransaction.objects.create(
            merchant=api.merchant, type="adjustment", amount=10, fee=1, net=10, currency="USD",
            available_on=date.today(), source_type="adjustment", source_id="x", key="x",
        )  # fmt: skip


def test_a_failed_movement_leaves_no_row_and_no_state(api, monkeypatch):
    from tests.payments.helpers import confirm, paid_intent

    def broken(*args, **kwargs):
        raise RuntimeError("ledger down")

    # The row is written with the payment's other rows (held) or on its own: both fail.
    monkeypatch.setattr("ledger.services.balance.rows_write", broken)
    monkeypatch.setattr("ledger.services.balance.insert_rows", broken)
    _, intent = paid_intent(api)
    with pytest.raises(RuntimeError):
        confirm(api, intent["id"])
    assert not BalanceTransaction.objects.exists()
    assert ok(api.get(f"{V1}/payment-intents/{intent['id']}"))["amount_received"] == 0


def test_business_days_skip_weekends():
    assert add_business_days(date(2026, 11, 26), 2) == date(2026, 11, 30)  # Thu → Mon
    assert add_business_days(date(2026, 11, 28), 2) == date(2026, 12, 1)  # Sat → Tue
    assert add_business_days(date(2026, 11, 30), 0) == date(2026, 11, 30)
