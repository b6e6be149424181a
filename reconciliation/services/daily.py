"""The daily run for one merchant and day: fetch → import → match → report → tell people.

Safe to run twice (and at once): imports are unique by file hash, matching locks its
lines with SKIP LOCKED, the report is recomputed in place, and the announcement (the
merchant's `reconciliation.completed` event and the finance staff's email) is claimed
once per merchant and day by compare-and-set.
"""

import logging
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from merchants.events import event_emit
from merchants.models import Merchant
from reconciliation.formats import StatementInvalid
from reconciliation.models import DailyReport, StatementSource
from reconciliation.services.imports import statement_import
from reconciliation.services.matching import lines_match
from reconciliation.services.reports import daily_report_build, unexplained_total
from reconciliation.sources import source_fetch

logger = logging.getLogger(__name__)
ACTOR = "system:reconciliation"
REVIEW_QUEUE = "/admin/reconciliation/statementline/?state__in=in_review,unmatched"


def sources_import(*, merchant_id: int) -> dict:
    """Imports every new file of the merchant's active sources; a file that cannot be read
    is logged and reported, and does not stop the others."""
    summary = {"files": 0, "statements": 0, "errors": []}
    for source in StatementSource.objects.filter(merchant_id=merchant_id, is_active=True).select_related("merchant"):
        try:
            files = source_fetch(source)
        except (OSError, ValueError) as exc:
            logger.warning("statement source %s failed: %s", source.pk, exc)
            summary["errors"].append({"source": source.name, "error": str(exc)[:300]})
            continue
        for name, content in files:
            summary["files"] += 1
            try:
                _, created = statement_import(
                    merchant_id=merchant_id,
                    content=content,
                    actor=ACTOR,
                    file_name=name,
                    format=source.format,
                    csv_mapping=source.csv_mapping or None,
                    source_id=source.pk,
                )
            except StatementInvalid as exc:
                summary["errors"].append({"source": source.name, "file": name, "error": exc.message[:300]})
                continue
            summary["statements"] += int(created)
    return summary


def finance_staff_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    users = users.filter(
        Q(is_superuser=True)
        | Q(user_permissions__codename="match_statementline")
        | Q(groups__permissions__codename="match_statementline")
    )
    return sorted(set(users.values_list("email", flat=True)))


def _announce(merchant: Merchant, report: DailyReport, imported: dict) -> bool:
    with transaction.atomic():
        claimed = DailyReport.objects.filter(pk=report.pk, announced_at__isnull=True).update(
            announced_at=timezone.now()
        )
        if not claimed:
            return False
        event_emit(
            merchant_id=merchant.pk,
            type="reconciliation.completed",
            data={
                "object": "reconciliation_report",
                "date": report.date.isoformat(),
                "lines_matched": report.lines_matched,
                "lines_in_review": report.lines_in_review,
                "lines_unmatched": report.lines_unmatched,
                "unexplained": {currency: entry["unexplained"] for currency, entry in report.figures.items()},
                "statements_imported": imported["statements"],
            },
        )
    left = report.lines_in_review + report.lines_unmatched
    recipients = finance_staff_emails()
    if (left or unexplained_total(report)) and recipients:
        try:
            _send_alert(merchant, report, left, recipients)
        except OSError:
            # The event went out; a mail server that is down must not fail the day's run.
            logger.exception("reconciliation alert for %s %s not sent", merchant.public_id, report.date)
    return True


def _send_alert(merchant, report, left, recipients):
    send_mail(
        subject=f"Reconciliation {report.date} for {merchant.name}: {left} lines need a look"[:200],
        message=(
            f"{report.lines_matched} lines matched, {report.lines_in_review} in review, "
            f"{report.lines_unmatched} unmatched.\n"
            + "".join(
                f"{c}: unexplained {e['unexplained']} minor units, missing payouts "
                f"{', '.join(e['payouts_missing']) or 'none'}\n"
                for c, e in report.figures.items()
            )
            + f"\nReview queue: {settings.PUBLIC_BASE_URL}{REVIEW_QUEUE}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )


def reconciliation_run(*, merchant_id: int, day: date) -> DailyReport:
    """The whole daily job for one merchant and day; see the module docstring."""
    merchant = Merchant.objects.get(pk=merchant_id)
    imported = sources_import(merchant_id=merchant_id)
    lines_match(merchant_id=merchant_id, actor=ACTOR)
    report = daily_report_build(merchant_id=merchant_id, day=day, import_errors=imported["errors"])
    _announce(merchant, report, imported)
    report.refresh_from_db()
    return report
