"""Runs the installment job for a day: `manage.py bnpl_charge_installments --as-of 2026-12-13`,
or for each day of a stretch (`--until`), as the daily beat would have: a calendar played
forward in a demo or a test, or days the beat missed caught up one by one."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments.bnpl.services.job import installments_run

# A stretch longer than this is a typo, not a calendar to replay.
MAX_DAYS = 400


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Charge due installments, retry failures, mark overdue and collections, as of a day (default today); "
        "with --until, once for each day through that one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD: the day to run as")
        parser.add_argument("--until", dest="until", help="YYYY-MM-DD: run each day from --as-of through this one")

    def handle(self, *args, as_of=None, until=None, **options):
        first = _day(as_of, "--as-of") if as_of else None
        if until is None:
            self._run(first)
            return
        first = first or timezone.localdate()
        last = _day(until, "--until")
        days = (last - first).days + 1
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--until must be from --as-of ({first}) to {MAX_DAYS} days after it.")
        for offset in range(days):
            self._run(first + timedelta(days=offset))

    def _run(self, day):
        result = installments_run(as_of=day)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
