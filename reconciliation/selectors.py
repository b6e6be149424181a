"""Reads for the API and the back office; never writes."""

from datetime import date

from django.db.models import Count

from payments.hooks import TransferPayer
from reconciliation.exceptions import StatementNotFound
from reconciliation.models import DailyReport, LineState, MatchKind, Statement, StatementLine, StatementSource
from reconciliation.services.reports import report_figures


def transfer_payer_of(*, payment_pk: int) -> TransferPayer | None:
    """Payments' provider (ReconciliationConfig.ready): the account a bank transfer came
    from, as booked on the credit line matched to its payment (None when no line is)."""
    row = (
        StatementLine.objects.filter(
            matched_payment_id=payment_pk, state=LineState.MATCHED, match_kind=MatchKind.PAYMENT, amount__gt=0
        )
        .values_list("counterparty_iban", "counterparty_name")
        .first()
    )
    return TransferPayer(iban=row[0], name=row[1]) if row else None


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


def dashboard_line_states(*, merchant_id: int | None, date_from: date, date_to: date) -> list[dict]:
    """The finance dashboard's reconciliation chart (ledger.dashboard.register_series): the
    statement lines booked each day by where they stand, one grouped query."""
    from datetime import timedelta

    from reconciliation.models import LineState

    lines = StatementLine.objects.filter(booked_on__gte=date_from, booked_on__lte=date_to)
    if merchant_id:
        lines = lines.filter(merchant_id=merchant_id)
    counts = {
        (row["booked_on"], row["state"]): row["n"] for row in lines.values("booked_on", "state").annotate(n=Count("id"))
    }
    if not counts:
        return []
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    return [
        {
            "title": "Reconciliation: statement lines by state",
            "kind": "bar",
            "stacked": True,
            "labels": [day.isoformat() for day in days],
            "datasets": [
                {"label": state.label, "data": [counts.get((day, state.value), 0) for day in days]}
                for state in (LineState.MATCHED, LineState.IN_REVIEW, LineState.UNMATCHED)
            ],
        }
    ]
