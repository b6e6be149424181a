"""Runs the daily reconciliation now, as the beat job would, and prints its report."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from merchants.models import Merchant
from reconciliation.services.daily import reconciliation_run
from reconciliation.services.reports import unexplained_total


class Command(BaseCommand):
    help = (
        "The daily reconciliation of one merchant for one day, now: imports the new files of its statement "
        "sources, matches every open line, writes the day's report (as the 6-hourly beat job does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("merchant", help="The merchant's public id (mer_...)")
        parser.add_argument("--date", dest="day", help="The report's day, YYYY-MM-DD (default: yesterday)")

    def handle(self, *args, merchant, day=None, **options):
        found = Merchant.objects.filter(public_id=merchant).first()
        if found is None:
            raise CommandError(f"No merchant {merchant!r}.")
        try:
            day = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD.") from None
        report = reconciliation_run(merchant_id=found.pk, day=day)
        self.stdout.write(
            f"{found.public_id} {day}: {report.lines_matched} matched, {report.lines_in_review} in review, "
            f"{report.lines_unmatched} unmatched, unexplained {unexplained_total(report)}"
        )
        for error in report.import_errors:
            self.stdout.write(f"  not imported: {error}")
