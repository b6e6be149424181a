"""The day's reconciliation report: what the bank shows against what the ledger expects.

Per currency:
- lines matched / in review / unmatched / investigated: count and signed amount;
- payouts expected (arriving that day) and received (matched by a bank line), and the
  ids of those missing;
- the day's balance-transaction totals (gross, fees, refunds, disputes, net);
- `unexplained`: what nobody has accounted for yet — the absolute amount of lines in
  review or unmatched and not investigated, plus payouts expected and not received.
  Zero on a clean day.
"""

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Abs
from django.utils import timezone

from reconciliation import ledger_link
from reconciliation.models import DailyReport, LineState, MatchKind, StatementLine

BUCKETS = ("matched", "in_review", "unmatched", "investigated")


def _empty():
    return {
        **{bucket: {"count": 0, "amount": 0} for bucket in BUCKETS},
        "payouts_expected": {"count": 0, "amount": 0},
        "payouts_received": {"count": 0, "amount": 0},
        "payouts_missing": [],
        "balance": {"gross": 0, "fees": 0, "refunds": 0, "disputes": 0, "net": 0, "count": 0},
        "unexplained": 0,
    }


def report_figures(merchant_id: int, day: date) -> dict:
    """{currency: figures}; a handful of aggregate queries whatever the day's volume."""
    figures = defaultdict(_empty)
    rows = (
        StatementLine.objects.filter(merchant_id=merchant_id, booked_on=day)
        .values("currency", "state")
        .annotate(
            count=Count("id"),
            # Not named `amount`: an alias would shadow the column in the expressions below.
            total=Sum("amount"),
            open_abs=Sum(Abs("amount"), filter=Q(investigated_at__isnull=True)),
            investigated=Count("id", filter=Q(investigated_at__isnull=False)),
            investigated_amount=Sum("amount", filter=Q(investigated_at__isnull=False)),
        )
    )
    for row in rows:
        entry = figures[row["currency"]]
        if row["state"] == LineState.UNMATCHED:
            entry["investigated"]["count"] += row["investigated"]
            entry["investigated"]["amount"] += row["investigated_amount"] or 0
            entry["unmatched"]["count"] += row["count"] - row["investigated"]
            entry["unmatched"]["amount"] += row["total"] - (row["investigated_amount"] or 0)
        else:
            entry[row["state"]]["count"] += row["count"]
            entry[row["state"]]["amount"] += row["total"]
        if row["state"] != LineState.MATCHED:
            entry["unexplained"] += row["open_abs"] or 0
    if ledger_link.available():
        expected = ledger_link.payouts_expected(merchant_id, day)
        received = set(
            StatementLine.objects.filter(
                merchant_id=merchant_id,
                state=LineState.MATCHED,
                match_kind=MatchKind.PAYOUT,
                matched_payout_id__in=[p.public_id for p in expected],
            ).values_list("matched_payout_id", flat=True)
        )
        for payout in expected:
            entry = figures[payout.currency]
            entry["payouts_expected"]["count"] += 1
            entry["payouts_expected"]["amount"] += payout.amount
            if payout.public_id in received:
                entry["payouts_received"]["count"] += 1
                entry["payouts_received"]["amount"] += payout.amount
            else:
                entry["payouts_missing"].append(payout.public_id)
                entry["unexplained"] += payout.amount
        for currency, totals in ledger_link.balance_totals(merchant_id, day).items():
            figures[currency]["balance"] = totals
    return {currency: figures[currency] for currency in sorted(figures)}


def daily_report_build(*, merchant_id: int, day: date, import_errors: list | None = None) -> DailyReport:
    """Recomputes the day's report in place (any number of times: same figures, one row)."""
    figures = report_figures(merchant_id, day)
    counts = {bucket: sum(entry[bucket]["count"] for entry in figures.values()) for bucket in ("matched", "in_review")}
    unmatched = sum(entry["unmatched"]["count"] for entry in figures.values())
    with transaction.atomic():
        report, _ = DailyReport.objects.select_for_update().get_or_create(merchant_id=merchant_id, date=day)
        report.figures = figures
        report.import_errors = import_errors or []
        report.lines_matched = counts["matched"]
        report.lines_in_review = counts["in_review"]
        report.lines_unmatched = unmatched
        report.runs += 1
        report.completed_at = timezone.now()
        report.save()
    return report


def unexplained_total(report: DailyReport) -> int:
    return sum(entry["unexplained"] for entry in report.figures.values())
