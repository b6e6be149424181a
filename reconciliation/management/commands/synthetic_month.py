"""Generates a month of activity for a merchant and reconciles every day of it."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from merchants.models import Merchant
from merchants.services import merchant_create
from reconciliation.models import StatementSource
from reconciliation.services.reports import unexplained_total
from reconciliation.simulator_bank.month import month_generate
from reconciliation.sources import merchant_folder


class Command(BaseCommand):
    help = (
        "A synthetic month from a fixed seed: payments on the test cards, refunds, disputes, fees, daily payouts "
        "and the bank's statements with four planted anomalies; then the daily reconciliation of every day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--merchant", help="A merchant's public id (default: a new 'Synthetic Month' merchant)")
        parser.add_argument("--start", help="First day, YYYY-MM-DD (default: 35 days ago)")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--per-day", type=int, default=100, help="Payments attempted per day")
        parser.add_argument("--seed", type=int, default=14)

    def handle(self, *args, **options):
        if options["merchant"]:
            merchant = Merchant.objects.filter(public_id=options["merchant"]).first()
            if merchant is None:
                raise CommandError(f"No merchant {options['merchant']!r}.")
        else:
            merchant = merchant_create(name="Synthetic Month").merchant
        if not 1 <= options["days"] <= 62 or not 1 <= options["per_day"] <= 2000:
            raise CommandError("--days must be 1 to 62 and --per-day 1 to 2000.")
        try:
            start = date.fromisoformat(options["start"]) if options["start"] else timezone.localdate() - timedelta(35)
        except ValueError:
            raise CommandError("--start must be YYYY-MM-DD.") from None
        # Refunds are approved at once here: reviewing them is another story.
        merchant.extra_settings = {**merchant.extra_settings, "refund_auto_approve_max_amount": 10**9}
        merchant.save(update_fields=["extra_settings"])
        StatementSource.objects.get_or_create(merchant=merchant, name="Simulator bank", defaults={"kind": "folder"})
        result = month_generate(
            merchant=merchant, start=start, days=options["days"], per_day=options["per_day"], seed=options["seed"],
            out=merchant_folder(merchant),
        )  # fmt: skip
        self.stdout.write(
            f"{merchant.public_id}: {result.payments} payments captured ({result.declined} declined or held), "
            f"{result.refunds} "
            f"refunds, {result.disputes} disputes over {len(result.days)} days."
        )
        for name, anomaly in sorted(result.anomalies.items(), key=lambda item: item[1]["day"]):
            self.stdout.write(f"planted {name} on {anomaly['day']}: {anomaly['id']}")
        for day, report in result.reports.items():
            self.stdout.write(
                f"{day}: {report.lines_matched} matched, {report.lines_in_review} in review, "
                f"{report.lines_unmatched} unmatched, unexplained {unexplained_total(report)}"
            )
