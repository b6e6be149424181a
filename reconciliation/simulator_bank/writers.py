"""Rendering statement lines as a file, in each format the importer reads."""

import csv
import io
from datetime import date
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from core.money import currency_exponent
from reconciliation.formats.base import ParsedLine

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
STRIPE_COLUMNS = [
    "balance_transaction_id", "created_utc", "available_on_utc", "currency", "gross", "fee", "net",
    "reporting_category", "source_id", "description", "customer_email",
]  # fmt: skip


def _major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-currency_exponent(currency))


def _decimal_text(amount: int, currency: str, *, comma=False) -> str:
    exponent = currency_exponent(currency)
    text = f"{_major(abs(amount), currency):.{exponent}f}"
    return text.replace(".", ",") if comma else text


def _signed(amount: int, currency: str) -> str:
    return ("-" if amount < 0 else "") + _decimal_text(amount, currency)


def _balance(tag: str, amount: int, day: date, currency: str) -> str:
    mark = "C" if amount >= 0 else "D"
    return f":{tag}:{mark}{day.strftime('%y%m%d')}{currency}{_decimal_text(amount, currency, comma=True)}"


def write_csv(lines: list[ParsedLine], *, fees: dict | None = None) -> bytes:
    """A Stripe-like payout reconciliation report; `fees` maps a line's bank_reference to the fee."""
    fees = fees or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STRIPE_COLUMNS)
    for line in lines:
        fee = fees.get(line.bank_reference, 0)
        writer.writerow(
            [
                line.bank_reference,
                f"{line.booked_on.isoformat()} 12:00:00",
                (line.value_on or line.booked_on).isoformat(),
                line.currency.lower(),
                _signed(line.amount, line.currency),
                _decimal_text(fee, line.currency),
                _signed(line.amount - fee, line.currency),
                "charge" if line.amount > 0 else "refund",
                line.reference,
                line.remittance,
                line.counterparty_name,
            ]
        )
    return out.getvalue().encode()


def _swift_text(value: str, limit: int) -> str:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ _")
    return "".join(ch if ch in allowed else " " for ch in value)[:limit]


def write_mt940(lines: list[ParsedLine], *, account: str, day: date, currency: str, opening: int = 0) -> bytes:
    """One MT940 statement. :61: carries the first 16 characters of the reference (all the
    field holds); :86: carries the full remittance text, as German banks' structured ?20."""
    balance = opening
    rows = [
        f":20:SIM{day.strftime('%Y%m%d')}",
        f":25:{account}",
        f":28C:{day.timetuple().tm_yday:05d}/001",
        _balance("60F", opening, day, currency),
    ]
    for line in lines:
        balance += line.amount
        mark = "C" if line.amount >= 0 else "D"
        code = "NTRF" if line.amount >= 0 else "NCHG"
        reference = _swift_text(line.reference, 16) or "NONREF"
        bank_ref = f"//{_swift_text(line.bank_reference, 16)}" if line.bank_reference else ""
        rows.append(
            f":61:{line.booked_on.strftime('%y%m%d')}{line.booked_on.strftime('%m%d')}{mark}"
            f"{_decimal_text(line.amount, line.currency, comma=True)}{code}{reference}{bank_ref}"
        )
        remittance = _swift_text(line.remittance or line.reference, 27 * 4)
        chunks = [remittance[i : i + 27] for i in range(0, len(remittance), 27)] or [""]
        purpose = "".join(f"?2{n}{chunk}" for n, chunk in enumerate(chunks))
        name = f"?32{_swift_text(line.counterparty_name, 27)}" if line.counterparty_name else ""
        iban = f"?31{line.counterparty_iban}" if line.counterparty_iban else ""
        rows.append(f":86:166?00{'GUTSCHRIFT' if mark == 'C' else 'LASTSCHRIFT'}{purpose}{iban}{name}")
    rows.append(_balance("62F", balance, day, currency))
    rows.append("-")
    return ("\r\n".join(rows) + "\r\n").encode("latin-1", errors="replace")


def write_camt053(lines: list[ParsedLine], *, account: str, day: date, currency: str) -> bytes:
    E = ElementMaker(namespace=CAMT_NS, nsmap={None: CAMT_NS})
    entries = []
    for number, line in enumerate(lines, start=1):
        credit = line.amount >= 0
        party = "Dbtr" if credit else "Cdtr"
        related = []
        if line.counterparty_name:
            related.append(E(party, E.Pty(E.Nm(line.counterparty_name[:140]))))
        if line.counterparty_iban:
            related.append(E(f"{party}Acct", E.Id(E.IBAN(line.counterparty_iban))))
        details = E.TxDtls(
            E.Refs(E.EndToEndId(line.reference[:35] or "NOTPROVIDED")),
            *([E.RltdPties(*related)] if related else []),
            E.RmtInf(E.Ustrd((line.remittance or line.reference)[:140])),
        )
        entries.append(
            E.Ntry(
                E.NtryRef(str(number)),
                E.Amt(_decimal_text(line.amount, line.currency), Ccy=line.currency),
                E.CdtDbtInd("CRDT" if credit else "DBIT"),
                E.Sts(E.Cd("BOOK")),
                E.BookgDt(E.Dt(line.booked_on.isoformat())),
                E.ValDt(E.Dt((line.value_on or line.booked_on).isoformat())),
                E.AcctSvcrRef(line.bank_reference or f"SIM-{day:%Y%m%d}-{number}"),
                E.BkTxCd(E.Domn(E.Cd("PMNT"), E.Fmly(E.Cd("RCDT" if credit else "ICDT"), E.SubFmlyCd("ESCT")))),
                E.NtryDtls(details),
            )
        )
    document = E.Document(
        E.BkToCstmrStmt(
            E.GrpHdr(E.MsgId(f"SIM-{day:%Y%m%d}"), E.CreDtTm(f"{day.isoformat()}T23:59:00")),
            E.Stmt(
                E.Id(f"SIM-{day:%Y%m%d}-{currency}"),
                E.CreDtTm(f"{day.isoformat()}T23:59:00"),
                E.FrToDt(E.FrDtTm(f"{day.isoformat()}T00:00:00"), E.ToDtTm(f"{day.isoformat()}T23:59:59")),
                E.Acct(E.Id(E.IBAN(account)), E.Ccy(currency)),
                *entries,
            ),
        )
    )
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
