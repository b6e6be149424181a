"""Daily payouts per merchant and currency of what is available: T+2 business days for
charges, refunds and disputes taken at once, never more than was available, once a day."""

from datetime import date

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum

from ledger.models import BalanceTransaction, MerchantPricing, Payout
from ledger.services import balance_transaction_record
from ledger.services.payouts import payout_create, payout_fail, payouts_create_due, payouts_settle_arrived
from merchants.models import Event
from tests.concurrency import run_together
from tests.factories import merchant_with_keys
from tests.ledger.helpers import CAPTURED, FEE, ledger_net
from tests.refunds.helpers import captured_intent

FRIDAY, MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


def _at(day, hour=10):
    return time_machine.travel(f"{day.isoformat()} {hour:02d}:00Z", tick=False)


def _charge(merchant, key, amount=10000, currency="USD"):
    with transaction.atomic():
        return balance_transaction_record(
            merchant_id=merchant.pk, type="charge", amount=amount, currency=currency,
            key=key, source_type="payment", source_id=key,
        )  # fmt: skip


def _refund(merchant, key, amount, currency="USD"):
    with transaction.atomic():
        return balance_transaction_record(
            merchant_id=merchant.pk, type="refund", amount=-amount, currency=currency,
            key=key, source_type="refund", source_id=key,
        )  # fmt: skip


@pytest.mark.django_db
def test_a_card_payment_is_paid_out_two_business_days_later_net_of_fees_and_refunds(
    api, django_capture_on_commit_callbacks
):
    from tests.payments.helpers import ok
    from tests.refunds.helpers import request_refund

    with _at(FRIDAY):
        intent_id = captured_intent(api)
        assert payouts_create_due() == 0  # nothing available yet
    with _at(MONDAY), django_capture_on_commit_callbacks(execute=True):
        ok(request_refund(api, intent_id, amount=1000), 201)
        assert payouts_create_due() == 0  # the refund is taken at once: −1000 waits
    with _at(TUESDAY):
        assert payouts_create_due() == 1
        assert payouts_create_due() == 0  # run twice: no second payout
    payout = Payout.objects.get()
    assert (payout.amount, payout.currency, payout.payout_date, payout.arrival_date, payout.status) == (
        CAPTURED - FEE - 1000, "USD", TUESDAY, WEDNESDAY, "pending"
    )  # fmt: skip
    assert payout.reference == payout.public_id
    claimed = BalanceTransaction.objects.filter(payout=payout).order_by("id").values_list("type", flat=True)
    assert list(claimed) == ["charge", "refund", "payout"]
    assert ledger_net(api.merchant) == 0  # everything owed was paid
    with _at(WEDNESDAY):
        assert payouts_settle_arrived() == 1
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.paid_at is not None
    assert list(Event.objects.filter(type__startswith="payout.").values_list("type", flat=True)) == [
        "payout.created", "payout.paid"
    ]  # fmt: skip


@pytest.mark.django_db
def test_payouts_are_per_currency_skip_weekends_and_honour_the_merchants_delay(merchant):
    MerchantPricing.objects.create(merchant=merchant, payout_delay_days=1)
    with _at(FRIDAY):
        _charge(merchant, "a", 10000, "USD")
        _charge(merchant, "b", 20000, "EUR")
    with _at(date(2026, 11, 28)):  # Saturday
        assert payouts_create_due() == 0
    with _at(MONDAY):
        assert payouts_create_due() == 2
    assert dict(Payout.objects.values_list("currency", "amount")) == {"USD": 10000 - 320, "EUR": 20000 - 610}


@pytest.mark.django_db
def test_a_payout_never_takes_what_is_not_yet_available(merchant):
    with _at(FRIDAY):
        _charge(merchant, "early")
    with _at(MONDAY):
        _charge(merchant, "late")
    with _at(TUESDAY):
        payout = payout_create(merchant_id=merchant.pk, currency="USD", on=TUESDAY)
    assert payout.amount == 10000 - 320
    assert BalanceTransaction.objects.get(key="late").payout is None
    available = BalanceTransaction.objects.filter(
        merchant=merchant, available_on__lte=TUESDAY, type__in=["charge", "refund"]
    ).aggregate(s=Sum("net"))["s"]
    assert payout.amount <= available


@pytest.mark.django_db
def test_a_returned_payout_puts_its_money_back_for_the_next_one(merchant):
    with _at(FRIDAY):
        _charge(merchant, "a")
    with _at(TUESDAY):
        payout = payout_create(merchant_id=merchant.pk, currency="USD", on=TUESDAY)
    with _at(WEDNESDAY):
        payout_fail(payout_pk=payout.pk, code="account_closed")
        again = payout_create(merchant_id=merchant.pk, currency="USD", on=WEDNESDAY)
    assert (payout.amount, again.amount) == (9680, 9680)
    assert ledger_net(merchant) == 0


@pytest.mark.django_db
def test_stripe_merchants_are_paid_out_by_stripe_not_simulated(merchant):
    merchant.gateway = "stripe"
    merchant.save()
    with _at(FRIDAY):
        _charge(merchant, "a")
    with _at(TUESDAY):
        assert payouts_create_due() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_payout_runs_make_one_payout():
    merchant = merchant_with_keys("Race").merchant
    with _at(FRIDAY):
        for i in range(5):
            _charge(merchant, f"c{i}", 1000)
        _refund(merchant, "r", 300)
    with _at(TUESDAY):
        results = run_together(4, lambda i: payout_create(merchant_id=merchant.pk, currency="USD", on=TUESDAY))
    assert not [r for r in results if isinstance(r, Exception)], results
    payout = Payout.objects.get()
    assert {r.pk for r in results} == {payout.pk}
    assert payout.amount == 5 * (1000 - 59) - 300
    assert ledger_net(merchant) == 0


@pytest.mark.django_db
def test_the_beat_task_pays_out_and_settles(merchant):
    from ledger.tasks import payouts_daily

    with _at(FRIDAY):
        _charge(merchant, "a")
    with _at(TUESDAY):
        assert payouts_daily.delay().get() == {"created": 1, "paid": 0, "stripe_imported": 0}
        assert payouts_daily.delay().get() == {"created": 0, "paid": 0, "stripe_imported": 0}
    with _at(WEDNESDAY):
        assert payouts_daily.delay().get()["paid"] == 1
