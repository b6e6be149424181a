"""ISO 20022 CAMT.053 (bank-to-customer statement) through lxml.

Any camt.053.001.xx version: the elements read here kept their names and places across
versions, so paths are taken in the document's own namespace, whatever it is.
"""

from datetime import date

from lxml import etree

from reconciliation.formats.base import (
    ParsedLine,
    ParsedStatement,
    StatementInvalid,
    account_clean,
    iban_clean,
    minor_units,
    text,
)

# No entities, no network, no DTDs: a statement is data, never instructions to the parser.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class _Reader:
    def __init__(self, ns: str):
        self.ns = {"c": ns} if ns else {}
        self.prefix = "c:" if ns else ""

    def path(self, path: str) -> str:
        return "/".join(f"{self.prefix}{step}" if step not in (".", "..") else step for step in path.split("/"))

    def find(self, node, path):
        return node.find(self.path(path), self.ns)

    def findall(self, node, path):
        return node.findall(self.path(path), self.ns)

    def text(self, node, path) -> str:
        found = self.find(node, path)
        return (found.text or "").strip() if found is not None else ""


def _date(value: str, *, where: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise StatementInvalid(f"{where}: {value!r} is not a date.") from None


def parse_camt053(content: bytes) -> ParsedStatement:
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise StatementInvalid(f"Not well-formed XML: {exc}") from None
    ns = etree.QName(root).namespace or ""
    if "camt.053" not in ns:
        raise StatementInvalid(
            "Not a CAMT.053 document (its namespace must be urn:iso:std:iso:20022:tech:xsd:camt.053...)."
        )
    r = _Reader(ns)
    statements = r.findall(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementInvalid("The document holds no Stmt.")
    parsed = ParsedStatement(format="camt053")
    position = 0
    for stmt in statements:
        parsed.account_iban = parsed.account_iban or account_clean(
            r.text(stmt, "Acct/Id/IBAN") or r.text(stmt, "Acct/Id/Othr/Id"), where="Acct"
        )
        start = _date(r.text(stmt, "FrToDt/FrDtTm"), where="FrToDt")
        end = _date(r.text(stmt, "FrToDt/ToDtTm"), where="FrToDt")
        for entry in r.findall(stmt, "Ntry"):
            position += 1
            where = f"Entry {position}"
            amount_node = r.find(entry, "Amt")
            if amount_node is None or not amount_node.get("Ccy"):
                raise StatementInvalid(f"{where}: no Amt with a Ccy.")
            currency = amount_node.get("Ccy")
            amount = minor_units(amount_node.text or "", currency, where=where)
            sign = r.text(entry, "CdtDbtInd")
            if sign not in ("CRDT", "DBIT"):
                raise StatementInvalid(f"{where}: CdtDbtInd must be CRDT or DBIT.")
            if sign == "DBIT":
                amount = -amount
            booked_on = _date(r.text(entry, "BookgDt/Dt") or r.text(entry, "BookgDt/DtTm"), where=where)
            if booked_on is None:
                raise StatementInvalid(f"{where}: no BookgDt.")
            details = r.find(entry, "NtryDtls/TxDtls")
            reference = remittance = name = iban = ""
            if details is not None:
                reference = r.text(details, "Refs/EndToEndId")
                if reference == "NOTPROVIDED":
                    reference = ""
                remittance = " ".join(
                    node.text.strip() for node in r.findall(details, "RmtInf/Ustrd") if node.text
                ) or r.text(details, "RmtInf/Strd/CdtrRefInf/Ref")
                # The other side: who paid us on a credit, whom we paid on a debit.
                party = "Dbtr" if sign == "CRDT" else "Cdtr"
                name = r.text(details, f"RltdPties/{party}/Nm") or r.text(details, f"RltdPties/{party}/Pty/Nm")
                iban = r.text(details, f"RltdPties/{party}Acct/Id/IBAN")
            parsed.lines.append(
                ParsedLine(
                    booked_on=booked_on,
                    value_on=_date(r.text(entry, "ValDt/Dt"), where=where),
                    amount=amount,
                    currency=currency,
                    reference=text(reference, 140),
                    remittance=text(remittance or r.text(entry, "AddtlNtryInf"), 2000),
                    counterparty_name=text(name, 140),
                    counterparty_iban=iban_clean(iban, where=where),
                    bank_reference=text(r.text(entry, "AcctSvcrRef") or r.text(entry, "NtryRef"), 100),
                )
            )
        parsed.period_start = min(filter(None, [parsed.period_start, start]), default=None)
        parsed.period_end = max(filter(None, [parsed.period_end, end]), default=None)
    if parsed.lines and parsed.period_start is None:
        dates = [line.booked_on for line in parsed.lines]
        parsed.period_start, parsed.period_end = min(dates), max(dates)
    return parsed
