"""Celery tasks: thin wrappers that take ids and call one service each."""

from datetime import date, timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from merchants.models import Merchant
from reconciliation.services.daily import reconciliation_run
from reconciliation.services.matching import lines_match


@shared_task(name="reconciliation.reconcile_daily", acks_late=True)
def reconcile_daily(day: str | None = None) -> int:
    """Fans out yesterday's run (or `day`, ISO) to every merchant with a statement source
    or statement lines; each merchant's run is its own task, safe to run twice."""
    target = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    merchants = (
        Merchant.objects.filter(is_active=True)
        .filter(Q(statement_sources__is_active=True) | Q(statements__isnull=False))
        .distinct()
        .values_list("pk", flat=True)
    )
    count = 0
    for merchant_id in merchants.iterator():
        reconcile_merchant_day.delay(merchant_id, target.isoformat())
        count += 1
    return count


@shared_task(name="reconciliation.reconcile_merchant_day", acks_late=True)
def reconcile_merchant_day(merchant_id: int, day: str) -> dict:
    report = reconciliation_run(merchant_id=merchant_id, day=date.fromisoformat(day))
    return {"matched": report.lines_matched, "in_review": report.lines_in_review, "unmatched": report.lines_unmatched}


@shared_task(name="reconciliation.match_statement", acks_late=True)
def match_statement(merchant_id: int, statement_pk: int) -> dict:
    """Matches a just-imported statement's lines (the daily run also picks up any left)."""
    result = lines_match(merchant_id=merchant_id, actor="system:reconciliation", statement_id=statement_pk)
    return {"matched": result.matched, "in_review": result.in_review, "unmatched": result.unmatched}
