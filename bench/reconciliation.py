"""Reconciliation at volume: 100,000 statement lines against 100,000 payments.

Run by scripts/bench_reconciliation.sh (a fresh PostgreSQL database). Loads the payments
and their charge balance transactions in bulk, writes the day's settlement report with the
test-mode bank's CSV writer (every line quoting a payment, gross or net of its fee), then
times the import and the match separately and samples the process's memory around each.
Prints a JSON summary on its last line.
"""

import argparse
import json
import os
import resource
import sys
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from ledger.models import BalanceTransaction  # noqa: E402
from merchants.services import merchant_create  # noqa: E402
from payments.models import PaymentTransaction, State  # noqa: E402
from reconciliation.formats.base import ParsedLine  # noqa: E402
from reconciliation.models import StatementLine  # noqa: E402
from reconciliation.services.imports import statement_import  # noqa: E402
from reconciliation.services.matching import lines_match  # noqa: E402
from reconciliation.simulator_bank.writers import write_csv  # noqa: E402

DAY = date(2026, 11, 20)
CHUNK = 5000


def rss_mib() -> float:
    """Resident set size now (Linux /proc), in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load(count: int):
    merchant = merchant_create(name="Reconciliation Bench").merchant
    completed = timezone.make_aware(datetime.combine(DAY, dtime(12)))
    lines = []
    for start in range(0, count, CHUNK):
        payments = PaymentTransaction.objects.bulk_create(
            [
                PaymentTransaction(
                    merchant=merchant, amount=1000 + n, amount_captured=1000 + n, currency="USD",
                    gateway="simulator", state=State.COMPLETED, completed_at=completed, reference=f"cs_bench{n}",
                )
                for n in range(start, min(start + CHUNK, count))
            ]
        )  # fmt: skip
        BalanceTransaction.objects.bulk_create(
            [
                BalanceTransaction(
                    merchant=merchant, type="charge", amount=p.amount, fee=30 + p.amount * 29 // 1000,
                    net=p.amount - 30 - p.amount * 29 // 1000, currency="USD", available_on=DAY,
                    source_type="payment", source_id=p.public_id, payment=p, key=f"charge:{p.public_id}",
                )
                for p in payments
            ]
        )  # fmt: skip
        for n, p in enumerate(payments, start=start):
            fee = 30 + p.amount * 29 // 1000
            # Half the lines carry the net (a processor that pays net), half the gross.
            amount = p.amount - fee if n % 2 else p.amount
            lines.append(
                ParsedLine(booked_on=DAY, amount=amount, currency="USD", reference=p.public_id,
                           remittance=f"Payment {p.public_id} {p.reference}", bank_reference=f"txn_{n}")
            )  # fmt: skip
    return merchant, write_csv(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    merchant, content = load(args.lines)
    loaded = time.monotonic() - started
    memory = {"before_import_mib": round(rss_mib(), 1)}

    started = time.monotonic()
    statement, _ = statement_import(merchant_id=merchant.pk, content=content, actor="bench", file_name="bench.csv")
    imported = time.monotonic() - started
    memory["after_import_mib"] = round(rss_mib(), 1)
    del content

    started = time.monotonic()
    result = lines_match(merchant_id=merchant.pk, actor="bench")
    matched = time.monotonic() - started
    memory["after_match_mib"] = round(rss_mib(), 1)
    memory["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    summary = {
        "lines": args.lines,
        "load_seconds": round(loaded, 1),
        "import_seconds": round(imported, 2),
        "match_seconds": round(matched, 2),
        "total_seconds": round(imported + matched, 2),
        "matched": result.matched,
        "in_review": result.in_review,
        "unmatched": result.unmatched,
        "lines_matched_in_db": StatementLine.objects.filter(merchant=merchant, state="matched").count(),
        "memory": memory,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
