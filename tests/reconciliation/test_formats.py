"""Each format reads what the test-mode bank writes, and refuses what it cannot read."""

from datetime import date

import pytest

from reconciliation.formats import StatementInvalid, format_detect, statement_parse
from reconciliation.simulator_bank.writers import write_camt053, write_csv, write_mt940
from tests.reconciliation.helpers import DAY, line

LINES = [
    line(5000, "pi_AAAAAAAAAAAAAAAAAAAAAAAA", bank_reference="ch_1", counterparty_name="Jane Shopper"),
    line(-1250, "re_BBBBBBBBBBBBBBBBBBBBBBBB", bank_reference="rf_1"),
    line(199, "", remittance="Bank fee November", bank_reference="fee_1"),
]
ACCOUNT = "DE89370400440532013000"


@pytest.mark.parametrize(
    "format,content",
    [
        ("csv", write_csv(LINES)),
        ("mt940", write_mt940(LINES, account=ACCOUNT, day=DAY, currency="USD")),
        ("camt053", write_camt053(LINES, account=ACCOUNT, day=DAY, currency="USD")),
    ],
)
def test_each_format_reads_back_amounts_dates_and_references(format, content):
    assert format_detect(content) == format
    parsed = statement_parse(content)
    assert parsed.format == format
    assert [(p.booked_on, p.amount, p.currency) for p in parsed.lines] == [(DAY, 5000, "USD"), (DAY, -1250, "USD"),
                                                                           (DAY, 199, "USD")]  # fmt: skip
    assert "pi_AAAAAAAAAAAAAAAAAAAAAAAA" in parsed.lines[0].reference + " " + parsed.lines[0].remittance
    if format != "csv":
        assert parsed.account_iban == ACCOUNT
        assert parsed.period_start == parsed.period_end == DAY


def test_mt940_keeps_the_full_reference_in_the_remittance_when_the_field_cuts_it():
    parsed = statement_parse(write_mt940(LINES, account=ACCOUNT, day=DAY, currency="USD"))
    assert parsed.lines[0].reference == "pi_AAAAAAAAAAAAA"  # :61: holds 16 characters
    assert "pi_AAAAAAAAAAAAAAAAAAAAAAAA" in parsed.lines[0].remittance
    assert parsed.lines[0].counterparty_name == "Jane Shopper"


def test_csv_with_a_merchant_mapping_and_minor_units():
    content = b"Datum;Betrag;Verwendungszweck;Name\n20.11.2026;1999;INV-7;Shop\n"
    parsed = statement_parse(
        content,
        csv_mapping={"date": "Datum", "amount": "Betrag", "reference": "Verwendungszweck", "counterparty": "Name",
                     "currency_value": "EUR", "date_format": "%d.%m.%Y", "amount_unit": "minor"},
    )  # fmt: skip
    assert [(p.booked_on, p.amount, p.currency, p.reference, p.counterparty_name) for p in parsed.lines] == [
        (date(2026, 11, 20), 1999, "EUR", "INV-7", "Shop")
    ]


@pytest.mark.parametrize(
    "content,message",
    [
        (b"balance_transaction_id,created_utc,currency,gross\nt,2026-11-20,usd,12.345\n", "more decimals"),
        (b"balance_transaction_id,created_utc,currency,gross\nt,2026-11-20,xyz,1.00\n", "ISO 4217"),
        (b"balance_transaction_id,created_utc,currency,gross\nt,20/11/2026,usd,1.00\n", "not a date"),
        (b"a,b\n1,2\n", "has no column"),
        (b"<Document xmlns='urn:other'/>", "Not a CAMT.053"),
        (b"<Document", "Not well-formed"),
    ],
)
def test_unreadable_files_name_what_is_wrong(content, message):
    with pytest.raises(StatementInvalid) as raised:
        statement_parse(content)
    assert message in raised.value.message


def test_a_statement_account_that_is_not_a_valid_iban_is_refused():
    content = write_camt053(LINES, account="DE89370400440532013001", day=DAY, currency="USD")
    with pytest.raises(StatementInvalid, match="not a valid IBAN"):
        statement_parse(content)


def test_xml_entities_are_never_expanded():
    content = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>'
        b'<Acct><Id><Othr><Id>1</Id></Othr></Id></Acct><Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        b"<BookgDt><Dt>2026-11-20</Dt></BookgDt><AddtlNtryInf>&x;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt>"
        b"</Document>"
    )
    parsed = statement_parse(content)
    assert "root:" not in parsed.lines[0].remittance
