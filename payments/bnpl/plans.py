"""The plans a merchant offers and its dunning terms: its rows, else the defaults."""

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from core.money import currency_exponent, is_currency
from payments.bnpl import schedule
from payments.bnpl.models import BNPLPlanTerms, BNPLSettings

DEFAULT_RETRY_DAYS = (1, 3, 7)
DEFAULT_COLLECTIONS_AFTER_DAYS = 30
DEFAULT_REMINDER_DAYS_BEFORE = 3


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    installment_count: int
    interval_unit: str
    interval_count: int
    limits: dict  # {currency: (min, max)}; None: the default limits for every currency

    def limits_for(self, currency: str) -> tuple[int, int] | None:
        if self.limits is None:
            return default_limits(currency)
        entry = self.limits.get(currency)
        return (int(entry["min"]), int(entry["max"])) if entry else None

    def fits(self, amount: int | None, currency: str) -> bool:
        limits = self.limits_for(currency)
        if limits is None:
            return False
        return amount is None or limits[0] <= amount <= limits[1]

    @property
    def interval(self) -> str:
        unit = self.interval_unit.rstrip("s") if self.interval_count == 1 else self.interval_unit
        return f"{self.interval_count} {unit}"


@dataclass(frozen=True)
class Terms:
    enabled: bool
    retry_days: tuple[int, ...]
    collections_after_days: int
    reminder_days_before: int


# The names stay English in the API; pages translate them (marked for the catalog here).
DEFAULT_PLANS = (
    Plan("pay_in_4", gettext_noop("Pay in 4"), 4, "days", 14, None),
    Plan("monthly_3", gettext_noop("3 monthly payments"), 3, "months", 1, None),
)


def default_limits(currency: str) -> tuple[int, int] | None:
    """35 to 2,000 in the currency's major unit (Afterpay's US range), 5,000 to 300,000 yen."""
    if not is_currency(currency):
        return None
    if currency == "JPY":
        return (5000, 300000)
    unit = 10 ** currency_exponent(currency)
    return (35 * unit, 2000 * unit)


def merchant_plans(merchant_id: int) -> list[Plan]:
    rows = list(BNPLPlanTerms.objects.filter(merchant_id=merchant_id).order_by("id"))
    if not rows:
        return list(DEFAULT_PLANS)
    return [
        Plan(r.code, r.name, r.installment_count, r.interval_unit, r.interval_count, r.limits)
        for r in rows
        if r.enabled
    ]


def merchant_plan(merchant_id: int, code: str) -> Plan | None:
    return next((plan for plan in merchant_plans(merchant_id) if plan.code == code), None)


def merchant_terms(merchant_id: int) -> Terms:
    row = BNPLSettings.objects.filter(merchant_id=merchant_id).first()
    if row is None:
        return Terms(True, DEFAULT_RETRY_DAYS, DEFAULT_COLLECTIONS_AFTER_DAYS, DEFAULT_REMINDER_DAYS_BEFORE)
    return Terms(
        row.enabled,
        tuple(int(d) for d in row.retry_days) if row.retry_days else DEFAULT_RETRY_DAYS,
        row.collections_after_days,
        row.reminder_days_before,
    )


def plan_option(plan: Plan, currency: str, amount: int | None) -> dict:
    low, high = plan.limits_for(currency)
    fits = amount is not None and low <= amount <= high
    return {
        "code": plan.code,
        "name": plan.name,
        "installment_count": plan.installment_count,
        "interval": plan.interval,
        "min_amount": low,
        "max_amount": high,
        "currency": currency,
        "installments": schedule.split_amount(amount, plan.installment_count) if fits else None,
    }
