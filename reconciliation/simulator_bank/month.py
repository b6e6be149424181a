"""A synthetic month for one merchant, from a fixed seed: real payments through the
services (test cards on the simulator, some declined), partial and full refunds, disputes
won and lost, the ledger's fees and daily payouts, and each day's statements from the
test-mode bank, with a handful of planted anomalies. Then the daily reconciliation of
every day. The clock is moved day by day (time-machine) so every record is dated as in life.

Planted anomalies (the report must flag each, and only these):
- `missing_payout`: a payout the bank never credits;
- `bank_fee`: a fee line the bank adds;
- `duplicate`: a settlement line the processor's report repeats;
- `truncated`: a payment whose reference the bank cut short.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import time_machine
from django.test import override_settings

from core.exceptions import DomainError
from ledger.services.analytics import analytics_rollup_day
from ledger.services.payouts import payouts_create_due, payouts_settle_arrived
from merchants.models import Merchant
from payments.selectors import current_attempt
from payments.services import payment_intent_confirm, payment_intent_create, payment_method_tokenize
from payments.simulator import processor
from payments.simulator.models import SimulatorDelivery
from reconciliation.formats.base import ParsedLine
from reconciliation.services.daily import reconciliation_run
from reconciliation.simulator_bank.day import payout_lines, settlement_lines, statement_render

ACTOR = "system:synthetic"
SUCCESS, DECLINE = "4242424242424242", "4000000000000002"


@dataclass
class MonthResult:
    days: list[date] = field(default_factory=list)
    payments: int = 0
    declined: int = 0
    refunds: int = 0
    disputes: int = 0
    anomalies: dict = field(default_factory=dict)  # name -> {"day": date, "id": ...}
    reports: dict = field(default_factory=dict)  # date -> DailyReport


def _deliver_simulator_messages():
    """The simulator's webhooks, handed to our inbound service in-process (no server needed)."""
    with override_settings(PAYMENTS_SIMULATOR_WEBHOOK_BASE_URL=""):
        for pk in (
            SimulatorDelivery.objects.filter(delivered_at__isnull=True).order_by("pk").values_list("pk", flat=True)
        ):
            processor.delivery_send(delivery_id=pk)


def _pay(merchant: Merchant, rng: random.Random, day: date, n: int) -> str | None:
    amount = rng.choice([1250, 1999, 2500, 4999, 7500, 12000, 350, 899])
    card = DECLINE if rng.random() < 0.08 else SUCCESS
    payment = payment_intent_create(
        merchant_id=merchant.pk, amount=amount, currency=merchant.default_currency,
        reference=f"ord_{day:%m%d}_{n:04d}", actor=ACTOR,
    )  # fmt: skip
    method = payment_method_tokenize(merchant_id=merchant.pk, number=card, exp_month=12, exp_year=2034, cvc="123")
    try:
        payment = payment_intent_confirm(
            merchant_id=merchant.pk, payment_intent_id=payment.public_id, payment_method_id=method.public_id,
            actor=ACTOR,
        )  # fmt: skip
    except DomainError as exc:  # a decline is an answer (402): the month has some
        if exc.status_code != 402:
            raise
        return None
    # A payment fraud scoring holds for review stays authorized: nothing settles for it.
    return payment.public_id if payment.state == "completed" else None


def _refund(merchant, payment_id, rng):
    from payments.models import PaymentTransaction
    from refunds.services.requests import refund_create

    payment = PaymentTransaction.objects.get(public_id=payment_id)
    amount = None if rng.random() < 0.5 else max(1, payment.amount_captured // rng.choice([2, 3, 4]))
    refund_create(merchant_id=merchant.pk, payment_intent_id=payment_id, amount=amount,
                  reason="requested_by_customer", actor=ACTOR)  # fmt: skip


def _dispute(payment_id, won):
    from payments.models import PaymentTransaction

    attempt = current_attempt(PaymentTransaction.objects.get(public_id=payment_id))
    processor.charge_dispute_open(reference=attempt.gateway_reference, reason="fraudulent")
    _deliver_simulator_messages()
    processor.charge_dispute_close(reference=attempt.gateway_reference, won=won)
    _deliver_simulator_messages()


def _statements(merchant, day, out: Path, plan: dict, result: MonthResult, rng) -> None:
    settlement, fees = settlement_lines(merchant.pk, day)
    bank = payout_lines(merchant.pk, day)
    if plan.get("duplicate") == day and settlement:
        settlement.append(settlement[0])
        result.anomalies["duplicate"] = {"day": day, "id": settlement[0].reference}
    if plan.get("truncated") == day and settlement:
        victim = settlement[-1]
        cut = victim.reference[:14]
        settlement[-1] = ParsedLine(booked_on=day, amount=victim.amount, currency=victim.currency, reference=cut,
                                    remittance=cut, bank_reference=victim.bank_reference)  # fmt: skip
        result.anomalies["truncated"] = {"day": day, "id": victim.reference}
    if plan.get("missing_payout") == day and bank:
        result.anomalies["missing_payout"] = {"day": day, "id": bank[0].reference}
        bank = bank[1:]
    if plan.get("bank_fee") == day:
        bank.append(ParsedLine(booked_on=day, amount=-250, currency=merchant.default_currency,
                               remittance="Account maintenance fee", bank_reference=f"FEE{day:%Y%m%d}"))  # fmt: skip
        result.anomalies["bank_fee"] = {"day": day, "id": f"FEE{day:%Y%m%d}"}
    out.mkdir(parents=True, exist_ok=True)
    if settlement:
        (out / f"{day}-settlement.csv").write_bytes(statement_render(settlement, format="csv", day=day, fees=fees))
    if bank:
        # The bank alternates formats across the month, so both bank formats run for real.
        fmt, suffix = ("mt940", "sta") if day.toordinal() % 2 else ("camt053", "xml")
        (out / f"{day}-bank.{suffix}").write_bytes(statement_render(bank, format=fmt, day=day))


def month_generate(*, merchant: Merchant, start: date, days: int, per_day: int, seed: int, out: Path) -> MonthResult:
    """See the module docstring. Days run in order; the statements of day d are written on
    the evening of d; reconciliation runs once every day is written."""
    from celery import current_app

    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    result = MonthResult(days=[start + timedelta(days=i) for i in range(days)])
    business = [d for d in result.days if d.weekday() < 5]
    # Anomalies on separate days, late enough for payouts to exist, early enough to be reconciled.
    picks = rng.sample(business[len(business) // 3 :], 4) if len(business) >= 8 else business[-4:]
    plan = dict(zip(["missing_payout", "bank_fee", "duplicate", "truncated"], picks, strict=False))
    paid: list[str] = []
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True  # refunds and deliveries run in this process, in order
    try:
        for day in result.days:
            with time_machine.travel(datetime.combine(day, time(9), tzinfo=UTC), tick=True):
                payouts_create_due(on=day)
                payouts_settle_arrived(today=day)
                for n in range(per_day):
                    payment_id = _pay(merchant, rng, day, n)
                    if payment_id is None:
                        result.declined += 1
                        continue
                    result.payments += 1
                    paid.append(payment_id)
                for _ in range(max(1, per_day // 10)):
                    if len(paid) > 5:
                        _refund(merchant, paid.pop(rng.randrange(len(paid) - 3)), rng)
                        result.refunds += 1
                if len(paid) > 8 and rng.random() < 0.3:
                    _dispute(paid.pop(rng.randrange(len(paid) - 3)), won=rng.random() < 0.5)
                    result.disputes += 1
            with time_machine.travel(datetime.combine(day, time(23, 30), tzinfo=UTC), tick=True):
                _statements(merchant, day, out, plan, result, rng)
                analytics_rollup_day(day=day, merchant_id=merchant.pk)
        for day in result.days:
            with time_machine.travel(datetime.combine(day + timedelta(days=1), time(6), tzinfo=UTC), tick=True):
                result.reports[day] = reconciliation_run(merchant_id=merchant.pk, day=day)
    finally:
        current_app.conf.task_always_eager = eager
    return result
