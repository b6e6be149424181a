"""A synthetic month proves it: every line matched but the planted anomalies, each flagged;
nothing unexplained on a clean day; the analytics add up to the balance transactions."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Sum

from ledger.models import BalanceTransaction, PaymentAnalytics
from reconciliation.models import StatementLine
from reconciliation.services.reports import unexplained_total

START = date(2026, 9, 7)  # a Monday
DAYS = 12


@pytest.fixture
def month(merchant, settings, tmp_path):
    settings.RECONCILIATION_STATEMENTS_DIR = tmp_path
    out = _Capture()
    call_command("synthetic_month", "--merchant", merchant.public_id, "--start", START.isoformat(), "--days",
                 str(DAYS), "--per-day", "6", "--seed", "3", stdout=out)  # fmt: skip
    return out.text


@pytest.mark.django_db(transaction=True)
def test_a_synthetic_month_reconciles_but_for_its_planted_anomalies(merchant, month):
    planted = dict(line.split(" ", 1)[1].split(" on ") for line in month.splitlines() if line.startswith("planted "))
    assert set(planted) == {"missing_payout", "bank_fee", "duplicate", "truncated"}, month
    anomaly_days = {date.fromisoformat(value.split(":")[0]) for value in planted.values()}

    open_lines = StatementLine.objects.filter(merchant=merchant).exclude(state="matched")
    flagged = sorted((line.state, line.review_reason or line.remittance) for line in open_lines)
    assert flagged == [
        ("in_review", "duplicate: the money was already matched by another line"),
        ("in_review", "reference cut short by the bank"),
        ("unmatched", "Account maintenance fee"),
    ], flagged
    assert StatementLine.objects.filter(merchant=merchant, state="matched").count() > 40

    from reconciliation.models import DailyReport

    reports = {report.date: report for report in DailyReport.objects.filter(merchant=merchant)}
    assert len(reports) == DAYS
    missing_day = date.fromisoformat(planted["missing_payout"].split(":")[0])
    missing_id = planted["missing_payout"].split(": ")[1]
    assert reports[missing_day].figures["USD"]["payouts_missing"] == [missing_id]
    for day, report in reports.items():
        if day in anomaly_days:
            assert unexplained_total(report) > 0, day
        else:
            assert unexplained_total(report) == 0, (day, report.figures)

    ledger = BalanceTransaction.objects.filter(merchant=merchant).exclude(type__in=["payout", "payout_failure"])
    analytics = PaymentAnalytics.objects.filter(merchant=merchant)
    assert analytics.aggregate(fees=Sum("total_fees"))["fees"] == ledger.aggregate(fees=Sum("fee"))["fees"]
    cash = BalanceTransaction.objects.filter(merchant=merchant, cash=True)
    assert analytics.aggregate(net=Sum("net_amount"))["net"] == cash.aggregate(net=Sum("net"))["net"]


class _Capture:
    def __init__(self):
        self.text = ""

    def write(self, value):
        self.text += value

    def flush(self):
        pass
