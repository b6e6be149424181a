"""Runs the installment job for a day: `manage.py bnpl_charge_installments --as-of 2026-12-13`."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from payments.bnpl.services.job import installments_run


class Command(BaseCommand):
    help = "Charge due installments, retry failures, mark overdue and collections, as of a day (default today)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD: the day to run as")

    def handle(self, *args, as_of=None, **options):
        try:
            day = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise CommandError("--as-of must be a date as YYYY-MM-DD.") from None
        result = installments_run(as_of=day)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
