"""The shape every statement format is read into, and the checks they share."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from core.exceptions import DomainError
from core.money import AMOUNT_COLUMN_MAX, currency_exponent, is_currency


class StatementInvalid(DomainError):
    code = "statement_invalid"
    default_message = "The statement file could not be read."


@dataclass(frozen=True)
class ParsedLine:
    booked_on: date
    amount: int  # signed minor units: credit positive
    currency: str
    reference: str = ""
    remittance: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    bank_reference: str = ""
    value_on: date | None = None


@dataclass
class ParsedStatement:
    format: str
    lines: list[ParsedLine] = field(default_factory=list)
    account_iban: str = ""
    period_start: date | None = None
    period_end: date | None = None


@lru_cache(maxsize=256)
def _exponent(currency: str) -> int | None:
    """The currency's exponent, None for no ISO 4217 currency. Cached: a statement asks once
    per line, and the locale data lookup behind it costs more than the rest of the line."""
    return currency_exponent(currency) if is_currency(currency) else None


def minor_units(value, currency: str, *, where: str) -> int:
    """A decimal amount in major units ("12.50", Decimal) as exact minor units; a
    fraction of a minor unit is an error, never rounded away."""
    exponent = _exponent(currency)
    if exponent is None:
        raise StatementInvalid(f"{where}: {currency!r} is not an ISO 4217 currency.")
    try:
        amount = Decimal(str(value).strip().replace(",", ".")) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise StatementInvalid(f"{where}: {value!r} is not an amount.") from None
    if not amount.is_finite():
        raise StatementInvalid(f"{where}: {value!r} is not an amount.")
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise StatementInvalid(f"{where}: {value} {currency} has more decimals than the currency.")
    result = int(scaled)
    if abs(result) > AMOUNT_COLUMN_MAX:
        raise StatementInvalid(f"{where}: the amount is too large.")
    return result


def iban_clean(value: str, *, where: str, strict: bool = False) -> str:
    """The IBAN in its compact form, checked with schwifty. A counterparty's IBAN that does
    not check is dropped (banks print odd accounts there); the statement's own must check."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return IBAN(value).compact
    except SchwiftyException as exc:
        if strict:
            raise StatementInvalid(f"{where}: {value!r} is not a valid IBAN ({exc}).") from None
        return ""


def text(value, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def account_clean(value: str, *, where: str) -> str:
    """A statement's own account: an IBAN must check; a domestic number is kept as given."""
    value = (value or "").strip().replace(" ", "")
    if len(value) > 4 and value[:2].isalpha() and value[2:4].isdigit():
        return iban_clean(value, where=where, strict=True)
    return value[:34]
