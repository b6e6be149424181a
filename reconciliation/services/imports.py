"""Importing a statement file: parse outside any transaction, then write it in one.

The same file twice is one Statement (its SHA-256 is unique per merchant); a line already
imported from another file (an overlapping period) is skipped by its identity.
"""

import hashlib
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.ids import new_public_ids
from reconciliation.exceptions import StatementTooLarge
from reconciliation.formats import ParsedLine, StatementInvalid, statement_parse
from reconciliation.models import LineState, Statement, StatementLine

BATCH = 5000


def line_identity(account: str, line: ParsedLine, occurrence: int) -> str:
    """What makes a booked line the same line in another file. The occurrence counts
    identical lines earlier in the same file, so a bank that books the same thing twice
    gives two lines (one of them a duplicate for review), while a re-sent file gives none."""
    parts = (
        account,
        line.bank_reference,
        line.booked_on.isoformat(),
        str(line.amount),
        line.currency,
        line.reference,
        line.remittance,
        str(occurrence),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def statement_import(
    *,
    merchant_id: int,
    content: bytes,
    actor: str,
    file_name: str = "",
    format: str = "",
    csv_mapping: dict | None = None,
    source_id: int | None = None,
) -> tuple[Statement, bool]:
    """(statement, created). Raises StatementInvalid (400) for a file it cannot read,
    StatementTooLarge (413); writes nothing then. A file seen before returns its
    statement with created False. Locks nothing: the unique constraints decide races."""
    if len(content) > settings.RECONCILIATION_MAX_STATEMENT_BYTES:
        raise StatementTooLarge(param="file")
    if not content.strip():
        raise StatementInvalid("The statement file is empty.", param="file")
    digest = hashlib.sha256(content).hexdigest()
    existing = Statement.objects.filter(merchant_id=merchant_id, file_sha256=digest).first()
    if existing is not None:
        return existing, False
    parsed = statement_parse(content, format=format, csv_mapping=csv_mapping)
    seen = Counter()
    rows = []
    for position, line in enumerate(parsed.lines, start=1):
        key = (line.bank_reference, line.booked_on, line.amount, line.currency, line.reference, line.remittance)
        identity = line_identity(parsed.account_iban, line, seen[key])
        seen[key] += 1
        rows.append((position, identity, line))
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                merchant_id=merchant_id,
                source_id=source_id,
                format=parsed.format,
                file_name=file_name[:255],
                file_sha256=digest,
                account_iban=parsed.account_iban,
                period_start=parsed.period_start,
                period_end=parsed.period_end,
                line_count=len(rows),
                imported_by=actor[:100],
            )
            lines_insert(statement, rows)
            statement.imported_count = StatementLine.objects.filter(statement=statement).count()
            statement.save(update_fields=["imported_count"])
    except IntegrityError:
        # The same file uploaded twice at once: the other request's statement stands.
        existing = Statement.objects.filter(merchant_id=merchant_id, file_sha256=digest).first()
        if existing is None:
            raise
        return existing, False
    return statement, True


_COPY_COLUMNS = (
    "public_id", "merchant_id", "statement_id", "position", "identity", "booked_on", "value_on", "amount", "currency",
    "reference", "remittance", "counterparty_name", "counterparty_iban", "bank_reference", "state", "match_kind",
    "matched_payout_id", "matched_automatically", "suggestions", "review_reason", "note", "version", "created_at",
    "updated_at",
)  # fmt: skip


def lines_insert(statement: Statement, rows) -> None:
    """Inserts the lines, skipping any whose identity the merchant already has. On
    PostgreSQL through COPY into a temporary table and one INSERT ... ON CONFLICT DO
    NOTHING: a hundred thousand lines in seconds, where building as many model
    instances for bulk_create takes minutes. Elsewhere (SQLite) bulk_create."""
    if connection.vendor != "postgresql":
        for start in range(0, len(rows), BATCH):
            StatementLine.objects.bulk_create(
                [
                    _line(statement, position, identity, line)
                    for position, identity, line in rows[start : start + BATCH]
                ],
                ignore_conflicts=True,  # seen in another file: skipped, not an error
            )
        return
    now = timezone.now()
    columns = ", ".join(_COPY_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE statement_line_load ON COMMIT DROP AS SELECT {columns} "
            "FROM reconciliation_statementline WITH NO DATA"
        )
        ids = new_public_ids("sl", len(rows))
        with cursor.copy(f"COPY statement_line_load ({columns}) FROM STDIN") as copy:
            for public_id, (position, identity, line) in zip(ids, rows, strict=True):
                copy.write_row((
                    public_id, statement.merchant_id, statement.pk, position, identity, line.booked_on,
                    line.value_on, line.amount, line.currency, line.reference, line.remittance,
                    line.counterparty_name, line.counterparty_iban, line.bank_reference, LineState.UNMATCHED, "", "",
                    False, "[]", "", "", 1, now, now,
                ))  # fmt: skip
        cursor.execute(
            f"INSERT INTO reconciliation_statementline ({columns}) SELECT {columns} FROM statement_line_load "
            "ORDER BY position ON CONFLICT DO NOTHING"
        )
        cursor.execute("DROP TABLE statement_line_load")


def _line(statement: Statement, position: int, identity: str, line: ParsedLine) -> StatementLine:
    return StatementLine(
        merchant_id=statement.merchant_id,
        statement=statement,
        position=position,
        identity=identity,
        booked_on=line.booked_on,
        value_on=line.value_on,
        amount=line.amount,
        currency=line.currency,
        reference=line.reference,
        remittance=line.remittance,
        counterparty_name=line.counterparty_name,
        counterparty_iban=line.counterparty_iban,
        bank_reference=line.bank_reference,
    )
