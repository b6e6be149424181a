"""Reading bank and processor statements: one module per format, one shape out.

`statement_parse` detects the format when it is not given and returns a ParsedStatement;
every problem with the file is a StatementInvalid (400) naming the line it found it on.
"""

from reconciliation.formats.base import ParsedLine, ParsedStatement, StatementInvalid
from reconciliation.formats.camt053 import parse_camt053
from reconciliation.formats.csv_format import parse_csv
from reconciliation.formats.mt940_format import parse_mt940

PARSERS = {"csv": parse_csv, "mt940": parse_mt940, "camt053": parse_camt053}


def format_detect(content: bytes) -> str:
    """CAMT.053 is XML, MT940 opens with its :20: tag (after an optional SWIFT header
    block), and anything else is read as CSV."""
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "camt053"
    if head.startswith(b":20:") or head.startswith(b"{1:") or b"\n:20:" in head[:512]:
        return "mt940"
    return "csv"


def statement_parse(content: bytes, *, format: str = "", csv_mapping: dict | None = None) -> ParsedStatement:
    format = format or format_detect(content)
    if format not in PARSERS:
        raise StatementInvalid(f"format must be one of {', '.join(PARSERS)}.", param="format")
    if format == "csv":
        return parse_csv(content, mapping=csv_mapping)
    return PARSERS[format](content)


__all__ = ["ParsedLine", "ParsedStatement", "StatementInvalid", "format_detect", "statement_parse"]
