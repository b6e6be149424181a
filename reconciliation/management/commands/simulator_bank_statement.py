"""Writes the statement the test-mode bank would send a merchant for a day."""

from datetime import date, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from merchants.models import Merchant
from reconciliation.simulator_bank.day import (
    bank_transfer_credits,
    payout_lines,
    refund_transfer_debits,
    settlement_lines,
    statement_render,
)
from reconciliation.sources import merchant_folder

FORMATS = ("csv", "mt940", "camt053")


class Command(BaseCommand):
    help = (
        "Writes a day's statement for a merchant: the processor's settlement report and the bank account's "
        "statement (payouts, refunds sent back by bank transfer, and with --pay-transfers every awaited bank transfer "
        "paid), in CSV, MT940 and/or "
        "CAMT.053, into the merchant's statement folder (the daily job's default source) or --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("merchant", help="The merchant's public id (mer_...)")
        parser.add_argument("--date", help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument(
            "--format",
            choices=[*FORMATS, "all", "auto"],
            default="auto",
            help="auto: the settlement report as CSV, the bank statement as CAMT.053. all: each in all three "
            "(the same lines three times: write those to --out, not to the folder the daily job imports)",
        )
        parser.add_argument("--layout", choices=["settlement", "bank", "both"], default="both")
        parser.add_argument("--pay-transfers", action="store_true", help="Shoppers pay every awaited transfer")
        parser.add_argument("--out", help="Directory to write into (default: the merchant's statement folder)")

    def handle(self, *args, **options):
        merchant = Merchant.objects.filter(public_id=options["merchant"]).first()
        if merchant is None:
            raise CommandError(f"No merchant {options['merchant']!r}.")
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate() - timedelta(1)
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD.") from None
        out = Path(options["out"]) if options["out"] else merchant_folder(merchant)
        out.mkdir(parents=True, exist_ok=True)
        if options["format"] == "all" and not options["out"]:
            raise CommandError("--format all writes the same lines three times: give --out.")
        layouts = ("settlement", "bank") if options["layout"] == "both" else (options["layout"],)
        account = (merchant.extra_settings.get("bank_transfer") or {}).get("iban", "")
        for layout in layouts:
            if layout == "settlement":
                lines, fees = settlement_lines(merchant.pk, day)
            else:
                lines, fees = payout_lines(merchant.pk, day) + refund_transfer_debits(merchant.pk, day), {}
                if options["pay_transfers"]:
                    lines += bank_transfer_credits(merchant.pk, day)
            if not lines:
                continue
            auto = ("csv",) if layout == "settlement" else ("camt053",)
            formats = {"all": FORMATS, "auto": auto}.get(options["format"], (options["format"],))
            for fmt in formats:
                suffix = {"csv": "csv", "mt940": "sta", "camt053": "xml"}[fmt]
                path = out / f"{day.isoformat()}-{layout}.{suffix}"
                path.write_bytes(statement_render(lines, format=fmt, day=day, account=account, fees=fees))
                self.stdout.write(f"{path} ({len(lines)} lines)")
