"""Exports: a merchant's records over a date range, as CSV or JSON Lines, built by a
Celery task, streamed to a temporary file row by row (memory stays flat however many
rows), then handed to Django's storage API (local files by default, S3 when
django-storages is configured). The download link is signed and expires; nothing about
it is stored.
"""

import csv
import io
import json
import logging
import tempfile
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from checkout.models import CheckoutSession
from core.exceptions import DomainError, NotFound
from ledger.models import BalanceTransaction, Export
from ledger.services.analytics import day_bounds
from merchants.models import Event
from payments.models import PaymentTransaction

logger = logging.getLogger(__name__)
SIGNER_SALT = "ledger.export.download"
MAX_RANGE_DAYS = 366
CHUNK = 2000


def _iso(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _api_status():
    """The payment's status as the API answers it (payments.selectors.payment_api_status),
    computed in the query so the export still streams. A failed intent reads `failed`
    here whether or not another attempt is allowed."""
    from django.db.models import Case, CharField, Value, When

    from payments.models import State
    from payments.selectors import API_STATUS

    return Case(
        When(state=State.PENDING, payment_method__isnull=True, then=Value("requires_payment_method")),
        When(state=State.PENDING, then=Value("requires_confirmation")),
        When(state=State.FAILED, then=Value("failed")),
        *[When(state=state, then=Value(status)) for state, status in API_STATUS.items()],
        default="state",
        output_field=CharField(),
    )


def _payments(merchant_id, start, end):
    rows = (
        PaymentTransaction.objects.filter(merchant_id=merchant_id, created_at__gte=start, created_at__lt=end)
        .annotate(api_status=_api_status())
        .order_by("created_at", "id")
        .values_list(
            "public_id", "created_at", "api_status", "amount", "amount_captured", "amount_refunded", "currency",
            "reference", "gateway", "payment_method__type", "payment_method__brand", "payment_method__last4",
            "completed_at",
        )
    )  # fmt: skip
    header = [
        "id", "created_at", "status", "amount", "amount_captured", "amount_refunded", "currency", "reference",
        "gateway", "payment_method_type", "card_brand", "card_last4", "completed_at",
    ]  # fmt: skip
    return header, rows


def _events(merchant_id, start, end):
    rows = (
        Event.objects.filter(merchant_id=merchant_id, created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "id")
        .values_list("public_id", "created_at", "type", "checkout_id", "payment_intent_id", "data")
    )
    return ["id", "created_at", "type", "checkout_id", "payment_intent_id", "data"], rows


def _failed_sessions(merchant_id, start, end):
    closed = [CheckoutSession.Status.FAILED, CheckoutSession.Status.EXPIRED, CheckoutSession.Status.CANCELED]
    rows = (
        CheckoutSession.objects.filter(
            merchant_id=merchant_id, created_at__gte=start, created_at__lt=end, status__in=closed
        )
        .order_by("created_at", "id")
        .values_list(
            "public_id", "created_at", "updated_at", "status", "status_reason", "currency", "payment_intent_id"
        )
    )
    return ["checkout_id", "created_at", "closed_at", "status", "reason", "currency", "payment_intent_id"], rows


def _balance_transactions(merchant_id, start, end):
    rows = (
        BalanceTransaction.objects.filter(merchant_id=merchant_id, created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "id")
        .values_list(
            "public_id", "created_at", "type", "amount", "fee", "net", "currency", "available_on", "source_type",
            "source_id", "payout__public_id",
        )
    )  # fmt: skip
    header = [
        "id", "created_at", "type", "amount", "fee", "net", "currency", "available_on", "source_type", "source_id",
        "payout_id",
    ]  # fmt: skip
    return header, rows


SOURCES = {
    Export.Type.PAYMENTS: _payments,
    Export.Type.EVENTS: _events,
    Export.Type.FAILED_SESSIONS: _failed_sessions,
    Export.Type.BALANCE_TRANSACTIONS: _balance_transactions,
}


def export_create(*, merchant_id: int, type: str, format: str, date_from: date, date_to: date) -> Export:
    """Records the export and queues its build after commit. Raises DomainError (400) for
    a range that ends before it starts or spans more than a year."""
    if date_to < date_from:
        raise DomainError("to must not be before from.", code="parameter_invalid", param="to")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise DomainError(f"An export covers at most {MAX_RANGE_DAYS} days.", code="parameter_invalid", param="to")
    from ledger.tasks import export_build

    with transaction.atomic():
        export = Export.objects.create(
            merchant_id=merchant_id, type=type, format=format, date_from=date_from, date_to=date_to
        )
        transaction.on_commit(lambda: export_build.delay(export.pk))
    return export


def _claim(export_pk: int) -> Export | None:
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export_pk)
        if export.status not in (Export.Status.PENDING, Export.Status.RUNNING):
            return None  # built already (a redelivered task)
        export.start(at=timezone.now())
        export.save()
        return export


def _write(export: Export, out) -> int:
    start, _ = day_bounds(export.date_from)
    _, end = day_bounds(export.date_to)
    header, rows = SOURCES[export.type](export.merchant_id, start, end)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text) if export.format == Export.Format.CSV else None
    if writer:
        writer.writerow(header)
    count = 0
    for row in rows.iterator(chunk_size=CHUNK):
        values = [_iso(value) for value in row]
        if writer:
            writer.writerow([json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in values])
        else:
            text.write(json.dumps(dict(zip(header, values, strict=True)), sort_keys=True) + "\n")
        count += 1
    text.flush()
    text.detach()
    return count


def export_build(*, export_pk: int) -> str:
    """The task's body: claims the export, streams its rows to a temporary file outside
    any transaction, saves it through the storage API, records the result. Safe to run
    twice: a finished export is left alone; a half-built one is built again."""
    export = _claim(export_pk)
    if export is None:
        return "done already"
    try:
        with tempfile.TemporaryFile() as out:
            rows = _write(export, out)
            size = out.tell()
            out.seek(0)
            name = default_storage.save(f"exports/{export.merchant_id}/{export.public_id}.{export.format}", File(out))
    except Exception as exc:
        logger.exception("export %s failed", export.public_id)
        with transaction.atomic():
            failed = Export.objects.select_for_update().get(pk=export_pk)
            failed.fail(error=f"{type(exc).__name__}", at=timezone.now())
            failed.save()
        return "failed"
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export_pk)
        export.succeed(file_name=name, rows=rows, size=size, at=timezone.now())
        export.save()
    return "succeeded"


def export_get(*, merchant_id: int, export_id: str) -> Export:
    export = Export.objects.filter(merchant_id=merchant_id, public_id=export_id).first()
    if export is None:
        raise NotFound("No such export.", param="id")
    return export


def export_download_token(export: Export) -> tuple[str, datetime]:
    token = signing.TimestampSigner(salt=SIGNER_SALT).sign(export.public_id)
    return token, timezone.now() + timedelta(seconds=settings.LEDGER_EXPORT_LINK_SECONDS)


def export_for_token(token: str) -> Export:
    """The export a download token names, while it is valid. Raises NotFound (404) for a
    forged, altered or expired token alike: a link either works or does not exist."""
    try:
        export_id = signing.TimestampSigner(salt=SIGNER_SALT).unsign(token, max_age=settings.LEDGER_EXPORT_LINK_SECONDS)
    except signing.BadSignature:
        raise NotFound("This download link is not valid or has expired.") from None
    export = Export.objects.filter(public_id=export_id, status=Export.Status.SUCCEEDED).first()
    if export is None:
        raise NotFound("This download link is not valid or has expired.")
    return export


def export_open(export: Export):
    """The stored file, opened for streaming (the caller's response closes it)."""
    return default_storage.open(export.file_name, "rb")
