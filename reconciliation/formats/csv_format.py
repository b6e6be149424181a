"""CSV statements, read through a per-source column mapping.

Without a mapping the file is read as a Stripe-like payout reconciliation report
(`balance_transaction_id, created_utc, currency, gross, fee, net, reporting_category,
source_id, description, ...`), with amounts in major units as that report has them.
"""

import csv
import io
from datetime import date, datetime

from reconciliation.formats.base import ParsedLine, ParsedStatement, StatementInvalid, iban_clean, minor_units, text

# field -> column. date and amount are required; currency may instead be fixed with
# "currency_value"; "date_format" (strptime) and "amount_unit" ("major"|"minor") tune it.
STRIPE_PAYOUT_REPORT = {
    "date": "created_utc",
    "amount": "gross",
    "currency": "currency",
    "reference": "source_id",
    "counterparty": "customer_email",
    "remittance": "description",
    "bank_reference": "balance_transaction_id",
}
FIELDS = (
    "date",
    "amount",
    "currency",
    "reference",
    "counterparty",
    "remittance",
    "bank_reference",
    "counterparty_iban",
)
OPTIONS = ("currency_value", "date_format", "amount_unit", "delimiter")
MAX_LINE_CHARS = 100_000


def mapping_check(mapping: dict) -> dict:
    """Raises StatementInvalid for a mapping the reader could not follow."""
    if not isinstance(mapping, dict):
        raise StatementInvalid("csv_mapping must be an object of field → column.", param="csv_mapping")
    unknown = set(mapping) - set(FIELDS) - set(OPTIONS)
    if unknown:
        raise StatementInvalid(f"csv_mapping has unknown fields: {', '.join(sorted(unknown))}.", param="csv_mapping")
    if not all(isinstance(value, str) and value for value in mapping.values()):
        raise StatementInvalid("csv_mapping values must be non-empty strings.", param="csv_mapping")
    missing = [name for name in ("date", "amount") if name not in mapping]
    if "currency" not in mapping and "currency_value" not in mapping:
        missing.append("currency (or currency_value)")
    if missing:
        raise StatementInvalid(f"csv_mapping needs {', '.join(missing)}.", param="csv_mapping")
    if mapping.get("amount_unit", "major") not in ("major", "minor"):
        raise StatementInvalid("csv_mapping.amount_unit must be major or minor.", param="csv_mapping")
    return mapping


def _date(value: str, date_format: str | None, *, where: str) -> date:
    value = (value or "").strip()
    try:
        if date_format:
            return datetime.strptime(value, date_format).date()
        return date.fromisoformat(value[:10])
    except ValueError:
        raise StatementInvalid(
            f"{where}: {value!r} is not a date{' in ' + date_format if date_format else ''}."
        ) from None


def _amount(value: str, currency: str, unit: str, *, where: str) -> int:
    value = (value or "").strip().replace(" ", "")
    if unit == "minor":
        try:
            return int(value)
        except ValueError:
            raise StatementInvalid(f"{where}: {value!r} is not a whole number of minor units.") from None
    return minor_units(value, currency, where=where)


def parse_csv(content: bytes, *, mapping: dict | None = None) -> ParsedStatement:
    default = not mapping
    mapping = mapping_check(mapping or STRIPE_PAYOUT_REPORT)
    try:
        body = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StatementInvalid("A CSV statement must be UTF-8.") from None
    delimiter = mapping.get("delimiter")
    if not delimiter:
        try:
            delimiter = csv.Sniffer().sniff(body[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.DictReader(io.StringIO(body), delimiter=delimiter)
    columns = set(reader.fieldnames or [])
    # A merchant's mapping names columns its file has; the default layout's descriptive
    # columns are optional (exports differ in which they include).
    names = ("date", "amount", "currency") if default else FIELDS
    wanted = {mapping[name] for name in names if name in mapping}
    absent = sorted(wanted - columns)
    if absent:
        raise StatementInvalid(
            f"The CSV has no column {', '.join(repr(c) for c in absent)} (its header: {sorted(columns)})."
        )
    statement = ParsedStatement(format="csv")
    unit = mapping.get("amount_unit", "major")
    try:
        for number, row in enumerate(reader, start=2):
            where = f"Row {number}"
            if sum(len(v or "") for v in row.values() if isinstance(v, str)) > MAX_LINE_CHARS:
                raise StatementInvalid(f"{where}: the row is too long.")
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            currency = (row.get(mapping.get("currency", "")) or mapping.get("currency_value") or "").strip().upper()
            statement.lines.append(
                ParsedLine(
                    booked_on=_date(row.get(mapping["date"]), mapping.get("date_format"), where=where),
                    amount=_amount(row.get(mapping["amount"]), currency, unit, where=where),
                    currency=currency,
                    reference=text(row.get(mapping.get("reference", "")), 140),
                    remittance=text(row.get(mapping.get("remittance", "")), 2000),
                    counterparty_name=text(row.get(mapping.get("counterparty", "")), 140),
                    counterparty_iban=iban_clean(row.get(mapping.get("counterparty_iban", "")) or "", where=where),
                    bank_reference=text(row.get(mapping.get("bank_reference", "")), 100),
                )
            )
    except csv.Error as exc:
        raise StatementInvalid(f"Not a readable CSV file: {exc}") from None
    if unit == "minor":
        for line in statement.lines:
            minor_units(0, line.currency, where="currency")  # the currency still has to be real
    if statement.lines:
        dates = [line.booked_on for line in statement.lines]
        statement.period_start, statement.period_end = min(dates), max(dates)
    return statement
