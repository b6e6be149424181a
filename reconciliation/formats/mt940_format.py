"""SWIFT MT940 through the `mt-940` package."""

from datetime import date

import mt940

from reconciliation.formats.base import (
    ParsedLine,
    ParsedStatement,
    StatementInvalid,
    account_clean,
    iban_clean,
    minor_units,
    text,
)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        # SWIFT's character set is a subset of Latin-1; older banks send it that way.
        return content.decode("latin-1")


def parse_mt940(content: bytes) -> ParsedStatement:
    try:
        transactions = mt940.models.Transactions()
        transactions.parse(_decode(content))
    except Exception as exc:  # the package raises bare ValueErrors and more on bad input
        raise StatementInvalid(f"Not a readable MT940 file: {exc}") from None
    data = transactions.data
    statement = ParsedStatement(
        format="mt940",
        account_iban=account_clean(data.get("account_identification", ""), where=":25:"),
    )
    for position, item in enumerate(transactions, start=1):
        line = item.data
        amount = line.get("amount")
        booked_on = line.get("entry_date") or line.get("date")
        if amount is None or booked_on is None:
            raise StatementInvalid(f"Transaction {position}: no amount or date in its :61: line.")
        currency = line.get("currency") or amount.currency
        reference = line.get("customer_reference") or ""
        remittance = " ".join(
            str(part)
            for part in (line.get("purpose"), line.get("additional_purpose"), line.get("transaction_details"))
            if part
        )
        value_on = line.get("date")
        statement.lines.append(
            ParsedLine(
                # The package's own Date subclass, as a plain date for the database.
                booked_on=date(booked_on.year, booked_on.month, booked_on.day),
                value_on=date(value_on.year, value_on.month, value_on.day) if value_on else None,
                amount=minor_units(amount.amount, currency, where=f"Transaction {position}"),
                currency=currency,
                reference="" if reference == "NONREF" else text(reference, 140),
                remittance=text(remittance, 2000),
                counterparty_name=text(line.get("applicant_name") or line.get("recipient_name"), 140),
                counterparty_iban=iban_clean(line.get("applicant_iban") or "", where=f"Transaction {position}"),
                bank_reference=text(line.get("bank_reference"), 100),
            )
        )
    if statement.lines:
        dates = [line.booked_on for line in statement.lines]
        statement.period_start, statement.period_end = min(dates), max(dates)
    return statement
