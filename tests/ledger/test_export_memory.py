"""An export's memory does not grow with its rows: the file is streamed from a server-side
cursor to a temporary file and on to storage, never held whole. Measured with tracemalloc
around the Celery task's body, over two sizes ten times apart, against real PostgreSQL."""

import csv
import json
import tracemalloc
from datetime import date

import pytest
from django.core.files.storage import default_storage

from ledger.models import Export
from ledger.services.exports import export_build
from tests.ledger.helpers import balance_transactions_insert

WARM_UP, DAY_SMALL, DAY_LARGE = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _build(merchant, fmt: str, day: date) -> tuple[Export, int]:
    """Builds the export of one day's balance transactions; returns it and the peak of
    Python memory allocated while building it, in bytes."""
    export = Export.objects.create(
        merchant=merchant, type="balance_transactions", format=fmt, date_from=day, date_to=day
    )
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        assert export_build(export_pk=export.pk) == "succeeded"
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    export.refresh_from_db()
    return export, peak


def _rows_in_file(export: Export) -> int:
    with default_storage.open(export.file_name, "rb") as stored:
        text = (line.decode() for line in stored)
        if export.format == Export.Format.CSV:
            reader = csv.reader(text)
            assert next(reader)[:4] == ["id", "created_at", "type", "amount"]
            return sum(1 for _ in reader)
        return sum(1 for line in text if json.loads(line)["type"] == "charge")


# transaction=True: the task runs in autocommit, where the server-side cursor is WITH HOLD,
# exactly as in a worker (inside a test transaction it would be a plain one).
@pytest.mark.django_db(transaction=True)
# tracemalloc makes every allocation several times dearer: the sizes are kept to what the
# suite can afford on two cores; bench/exports.py runs a million rows without it. The
# smaller size still spans several chunks of CHUNK rows: while one chunk is written the
# driver fetches the next, so the steady peak is two chunks, reached from the second on.
@pytest.mark.parametrize(("fmt", "small", "large"), [("csv", 10_000, 100_000), ("jsonl", 6_000, 60_000)])
def test_peak_memory_of_an_export_does_not_grow_with_its_rows(merchant, fmt, small, large):
    for day, count in ((WARM_UP, 500), (DAY_SMALL, small), (DAY_LARGE, large)):
        balance_transactions_insert(merchant.pk, count, day=day)
    _build(merchant, fmt, WARM_UP)  # imports, compiled queries and caches are not per-row costs
    small_export, small_peak = _build(merchant, fmt, DAY_SMALL)
    large_export, large_peak = _build(merchant, fmt, DAY_LARGE)

    assert (small_export.row_count, _rows_in_file(small_export)) == (small, small)
    assert (large_export.row_count, _rows_in_file(large_export)) == (large, large)
    # Ten times the rows, the same peak (about 2 MiB: a chunk of rows and the writers'
    # buffers). Held whole, 100,000 rows would be tens of MiB of Python objects.
    assert large_peak < small_peak * 1.25 + 256 * 1024, (small_peak, large_peak)
    assert large_peak < 8 * 2**20, large_peak
