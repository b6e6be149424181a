"""Money: integer minor units plus an ISO 4217 code. Floats never; Decimal only at edges."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision, list_currencies

from core.exceptions import AmountTooLarge

_KNOWN_CURRENCIES = frozenset(list_currencies())

# Every amount is stored in a signed 64-bit column (BigIntegerField).
AMOUNT_COLUMN_MAX = 2**63 - 1
# The largest cart a session takes: one line's own maximum (100,000 x 10^12 minor units)
# and 92 times below the column, so the tax, shipping and fees added on top of a cart
# that was accepted can never overflow it: a session accepted is a session that can be paid.
CART_TOTAL_MAX = 10**17


def amounts_check(param: str, **amounts: int) -> None:
    """Raises AmountTooLarge (400, naming `param`) when an amount that added up from valid
    parts no longer fits its column, rather than letting the database raise a 500."""
    for name, amount in amounts.items():
        if abs(amount) > AMOUNT_COLUMN_MAX:
            raise AmountTooLarge(f"The {name.replace('_', ' ')} adds up to more than this API can charge.", param=param)


def is_currency(code: str) -> bool:
    return isinstance(code, str) and code.isupper() and code in _KNOWN_CURRENCIES


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point for the currency: JPY 0, EUR 2, KWD 3."""
    return get_currency_precision(currency)


def round_half_up(value: Decimal) -> int:
    """Commercial rounding of a fractional minor-unit amount to a whole minor unit."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` across `weights` proportionally; the parts always sum to `total`.

    Largest-remainder method: floor every share, then hand the leftover minor units to
    the shares with the largest remainders (earliest first on ties), so a discount spread
    over lines never gains or loses a cent to rounding.
    """
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0 for _ in weights]
    shares = [total * w // weight_sum for w in weights]
    remainders = [(total * w % weight_sum, -i) for i, w in enumerate(weights)]
    for _, neg_index in sorted(remainders, reverse=True)[: total - sum(shares)]:
        shares[-neg_index] += 1
    return shares


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int in minor units")
        if not is_currency(self.currency):
            raise ValueError(f"Unknown currency {self.currency!r}")

    def _same(self, other: "Money"):
        if other.currency != self.currency:
            raise ValueError(f"Currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-currency_exponent(self.currency))

    def format(self, locale: str = "en_US") -> str:
        return format_currency(self.to_decimal(), self.currency, locale=locale)


def format_minor(amount: int | None, currency: str, locale: str = "en_US") -> str:
    """Display form for people (admin, pages); "—" where there is no amount to show."""
    if amount is None or not is_currency(currency):
        return "—"
    return Money(amount, currency).format(locale)
