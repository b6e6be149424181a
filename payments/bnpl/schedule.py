"""Schedule arithmetic: how a total splits into installments and when each falls due.

Pure functions on integers in minor units and on dates, so they read and test alone.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Slot:
    sequence: int
    amount: int
    due_date: date


def split_amount(total: int, count: int) -> list[int]:
    """`count` amounts that add up to `total` exactly; the remainder goes to the first.

    Amounts are in the currency's minor unit already (cents, or whole yen for JPY, which
    has none), so the same integer split is right for every currency.
    """
    if count < 1 or total < count:
        raise ValueError("Every installment must be at least one minor unit.")
    base, remainder = divmod(total, count)
    return [base + remainder] + [base] * (count - 1)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter.

    Always counted from the purchase date, never from the previous due date, so a plan
    bought on 31 January falls due on 28/29 February and then on 31 March again.
    """
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_dates(start: date, *, count: int, unit: str, every: int) -> list[date]:
    """The first at purchase, then one every `every` days or months."""
    if unit == "days":
        return [start + timedelta(days=every * i) for i in range(count)]
    if unit == "months":
        return [add_months(start, every * i) for i in range(count)]
    raise ValueError(f"Unknown interval unit {unit!r}.")


def build(total: int, start: date, *, count: int, unit: str, every: int) -> list[Slot]:
    amounts = split_amount(total, count)
    dates = due_dates(start, count=count, unit=unit, every=every)
    return [Slot(sequence=i + 1, amount=a, due_date=d) for i, (a, d) in enumerate(zip(amounts, dates, strict=True))]


def reduce_owed(amounts: list[int], reduction: int) -> list[int]:
    """Takes `reduction` off the owed amounts, the latest first (a refund shortens the
    plan from its end, as Afterpay and Klarna do); returns the new amounts."""
    result = list(amounts)
    for index in range(len(result) - 1, -1, -1):
        if reduction <= 0:
            break
        taken = min(result[index], reduction)
        result[index] -= taken
        reduction -= taken
    return result
