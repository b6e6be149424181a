"""Reads for the API and the back office; never writes."""

from datetime import date

from django.db.models import Count

from reconciliation.exceptions import StatementNotFound
from reconciliation.models import DailyReport, Statement, StatementLine, StatementSource
from reconciliation.services.reports import report_figures


def statement_get(*, merchant_id: int, statement_id: str) -> Statement:
    statement = Statement.objects.filter(merchant_id=merchant_id, public_id=statement_id).first()
    if statement is None:
        raise StatementNotFound(param="id")
    return statement


def statement_state_counts(statement: Statement) -> dict:
    counts = dict(StatementLine.objects.filter(statement=statement).values_list("state").annotate(n=Count("id")))
    return {state: counts.get(state, 0) for state in StatementLine.State.values}


def statement_lines(statement: Statement, *, after_position: int = 0, limit: int = 100) -> tuple[list, bool]:
    """The statement's lines in file order after `after_position`, and whether more follow."""
    rows = list(
        StatementLine.objects.filter(statement=statement, position__gt=after_position)
        .select_related("matched_payment", "matched_refund", "matched_dispute")
        .order_by("position")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def report_get(*, merchant_id: int, day: date) -> dict:
    """The stored report of the day, or (before the day's run) the figures as they stand."""
    report = DailyReport.objects.filter(merchant_id=merchant_id, date=day).first()
    if report is not None:
        return {"report": report, "figures": report.figures, "final": True}
    return {"report": None, "figures": report_figures(merchant_id, day), "final": False}


def reconciliation_configured(merchant) -> bool:
    """GET /capabilities' reconciliation: statements reach us from a source the daily job
    fetches, or the merchant has uploaded one."""
    return (
        StatementSource.objects.filter(merchant=merchant, is_active=True).exists()
        or Statement.objects.filter(merchant=merchant).exists()
    )
