"""An export at volume: a million balance transactions to CSV (or JSON Lines).

Run by scripts/bench_exports.sh (a fresh PostgreSQL database). Makes the rows in
PostgreSQL with one INSERT ... SELECT over generate_series, then runs the Celery task's body
(`export_build`: claim, stream from a server-side cursor to a temporary file, save through
the storage API, record the result) and reports its time, the rows and bytes in the stored
file, and the process's memory: resident set before and after, and the peak over the run
(ru_maxrss, which includes Django and the driver, so read it against the before figure).
Prints a JSON summary on its last line.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402

from ledger.models import Export  # noqa: E402
from ledger.services.exports import export_build  # noqa: E402
from merchants.services import merchant_create  # noqa: E402
from tests.ledger.helpers import balance_transactions_insert  # noqa: E402

DAY = date(2026, 11, 20)


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def build(merchant, fmt: str, day: date) -> tuple[Export, float, float]:
    export = Export.objects.create(
        merchant=merchant, type="balance_transactions", format=fmt, date_from=day, date_to=day
    )
    started, cpu = time.monotonic(), time.process_time()
    assert export_build(export_pk=export.pk) == "succeeded"
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    export.refresh_from_db()
    return export, elapsed, cpu


def lines_in(export: Export) -> int:
    with default_storage.open(export.file_name, "rb") as stored:
        return sum(1 for _ in stored)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    args = parser.parse_args()
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-exports-")
    call_command("migrate", verbosity=0)
    merchant = merchant_create(name="Exports Bench").merchant

    started = time.monotonic()
    balance_transactions_insert(merchant.pk, 1_000, day=date(2026, 11, 19))
    balance_transactions_insert(merchant.pk, args.rows, day=DAY)
    loaded = time.monotonic() - started
    build(merchant, args.format, date(2026, 11, 19))  # warm-up: imports and first queries

    memory = {"before_mib": round(rss_mib(), 1)}
    export, elapsed, cpu = build(merchant, args.format, DAY)
    memory["after_mib"] = round(rss_mib(), 1)
    memory["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    header = 1 if args.format == "csv" else 0
    summary = {
        "rows": args.rows,
        "format": args.format,
        "load_seconds": round(loaded, 1),
        "export_seconds": round(elapsed, 1),
        "export_cpu_seconds": round(cpu, 1),  # this process's; PostgreSQL's own is not in it
        "rows_per_second": round(args.rows / elapsed),
        "row_count": export.row_count,
        "rows_in_file": lines_in(export) - header,
        "size_mib": round(export.size_bytes / 2**20, 1),
        "memory": memory,
    }
    default_storage.delete(export.file_name)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
