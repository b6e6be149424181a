"""What the hosted pages show of an order: lines, totals and delivery choices, formatted
for the session's currency and locale (babel, through core.money)."""

from dataclasses import dataclass
from datetime import timedelta

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from django.utils import timezone

from checkout.models import CheckoutSession
from checkout.selectors import pickup_location_list, session_requires_shipping, session_shipping_quote
from core.money import Money

FALLBACK_LOCALE = "en_US"


def babel_locale(session: CheckoutSession) -> str:
    """The session's locale as babel spells it ("en-GB" → "en_GB"); en_US if unknown."""
    candidate = (session.locale or FALLBACK_LOCALE).replace("-", "_")
    try:
        Locale.parse(candidate)
    except (UnknownLocaleError, ValueError, TypeError):
        return FALLBACK_LOCALE
    return candidate


def html_lang(session: CheckoutSession) -> str:
    return babel_locale(session).replace("_", "-")


def money(session: CheckoutSession, amount: int, currency: str | None = None) -> str:
    return Money(int(amount), currency or session.currency).format(babel_locale(session))


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    note: str = ""
    pending: bool = False


def _lines(session: CheckoutSession) -> list[dict]:
    return [
        {
            "name": line.name,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit": money(session, line.unit_amount) if line.quantity > 1 else "",
            "total": money(session, line.quantity * line.unit_amount),
            "image_url": line.image_url,
            "initial": (line.name[:1] or "·").upper(),
        }
        for line in session.lines.all()
    ]


def _calculated_rows(session: CheckoutSession, calc) -> list[Row]:
    rows = [Row("Subtotal", money(session, calc.sub_total))]
    if calc.discount_total:
        codes = ", ".join(a.get("code", "") for a in calc.adjustments if a.get("type") == "promotion")
        rows.append(Row("Discount", "−" + money(session, calc.discount_total), note=codes))
    if calc.shipping:
        shipping = calc.shipping
        label = "Pickup" if shipping.get("method") == "pickup" else "Shipping"
        value = money(session, calc.shipping_total) if calc.shipping_total else "Free"
        rows.append(Row(label, value, note=shipping.get("name", "")))
    if calc.fee_total:
        rows.append(Row("Fees", money(session, calc.fee_total)))
    if calc.prices_include_tax:
        rows.append(Row("Tax", money(session, calc.tax_total), note="included"))
    else:
        rows.append(Row("Tax", money(session, calc.tax_total)))
    return rows


def order_summary(session: CheckoutSession) -> dict:
    """Lines and totals. Before the first calculation (or after a change that made it
    stale) the total is the cart's subtotal, and shipping and tax say they come later."""
    lines = _lines(session)
    calc = session.current_calculation if session.calculation_is_current else None
    if calc is not None:
        rows = _calculated_rows(session, calc)
        total = money(session, calc.grand_total)
    else:
        sub_total = sum(line.quantity * line.unit_amount for line in session.lines.all())
        rows = [Row("Subtotal", money(session, sub_total))]
        if session_requires_shipping(session):
            rows.append(Row("Shipping", "Calculated at the next step", pending=True))
        rows.append(Row("Tax", "Calculated at the next step", pending=True))
        total = money(session, sub_total)
    paid_with, amount_due = _wallet_rows(session) if calc is not None else ([], None)
    return {
        "lines": lines,
        "item_count": sum(line["quantity"] for line in lines),
        "rows": rows,
        "total": total,
        "is_final": calc is not None,
        "currency": session.currency,
        "paid_with": paid_with,
        "amount_due": amount_due,
    }


def _wallet_rows(session: CheckoutSession) -> tuple[list[Row], str | None]:
    """Gift cards and store credit applied, each with what it covers now, and what is left
    to pay; nothing when the wallet is empty."""
    from checkout.services.wallet import wallet_allocation

    allocation = wallet_allocation(session)
    if not allocation.items:
        return [], None
    rows = []
    for item, amount in allocation.items:
        if item.gift_card_id:
            rows.append(Row("Gift card", "−" + money(session, amount), note=f"···· {item.gift_card.last4}"))
        else:
            rows.append(Row("Store credit", "−" + money(session, amount)))
    return rows, money(session, allocation.amount_due)


def _add_business_days(day, count: int):
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _delivery_estimate(session: CheckoutSession, low: int, high: int) -> str:
    days = f"{low}–{high} business days" if low != high else f"{low} business day{'' if low == 1 else 's'}"
    arrives = _add_business_days(timezone.localdate(), high)
    return f"{days} · arrives by {format_date(arrives, 'EEE d MMM', locale=babel_locale(session))}"


def delivery_choices(session: CheckoutSession) -> dict:
    """Shipping options the cart and address qualify for, and the merchant's pickup points.

    A choice's value is "rate:<id>" or "pickup:<id>"."""
    quote = session_shipping_quote(session)
    selected = ""
    if session.selected_shipping_rate_id:
        selected = f"rate:{session.selected_shipping_rate.public_id}"
    elif session.pickup_location_id:
        selected = f"pickup:{session.pickup_location.public_id}"
    options = [
        {
            "value": f"rate:{option.id}",
            "name": option.name,
            "carrier": option.carrier,
            "price": money(session, option.amount, option.currency) if option.amount else "Free",
            "estimate": _delivery_estimate(session, option.min_delivery_days, option.max_delivery_days),
        }
        for option in quote.options
    ]
    pickups = []
    if quote.shipping_required:
        pickups = [
            {
                "value": f"pickup:{location.public_id}",
                "name": location.name,
                "address": ", ".join(filter(None, [location.line1, location.postal_code, location.city])),
                "hours": location.opening_hours,
            }
            for location in pickup_location_list(merchant_id=session.merchant_id)
        ]
    return {"required": quote.shipping_required, "options": options, "pickups": pickups, "selected": selected}
