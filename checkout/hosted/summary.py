"""What the hosted pages show of an order: lines, totals and delivery choices, formatted
for the session's currency and locale (babel, through core.money)."""

from dataclasses import asdict, dataclass
from datetime import timedelta
from types import SimpleNamespace

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from checkout.fulfillment_selectors import selected_shipment_plan
from checkout.models import CheckoutSession, ShippingRate
from checkout.pricing import PricingShipping
from checkout.selectors import pickup_location_list, session_requires_shipping, session_shipping_quote
from checkout.services.fulfillment import shipment_groups_preview
from checkout.services.pricing import session_price_preview
from core.money import Money

FALLBACK_LOCALE = "en_US"


def babel_locale(session: CheckoutSession) -> str:
    """The session's locale as babel spells it ("en-GB" → "en_GB"); en_US if unknown.

    When the page speaks another language than the locale (a session left at en_US read
    by a German browser), amounts and dates follow the page's language, not the locale."""
    candidate = (session.locale or FALLBACK_LOCALE).replace("-", "_")
    try:
        Locale.parse(candidate)
    except (UnknownLocaleError, ValueError, TypeError):
        candidate = FALLBACK_LOCALE
    language = (translation.get_language() or "").split("-")[0]
    if language and candidate.split("_")[0] != language:
        return language
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
    rows = [Row(_("Subtotal"), money(session, calc.sub_total))]
    if calc.discount_total:
        codes = ", ".join(a.get("code", "") for a in calc.adjustments if a.get("type") == "promotion")
        rows.append(Row(_("Discount"), "−" + money(session, calc.discount_total), note=codes))
    if calc.shipping:
        shipping = calc.shipping
        label = _("Pickup") if shipping.get("method") == "pickup" else _("Shipping")
        value = money(session, calc.shipping_total) if calc.shipping_total else _("Free")
        rows.append(Row(label, value, note=shipping.get("name", "")))
    if calc.fee_total:
        rows.append(Row(_("Fees"), money(session, calc.fee_total)))
    if calc.prices_include_tax:
        rows.append(Row(_("Tax"), money(session, calc.tax_total), note=_("included")))
    else:
        rows.append(Row(_("Tax"), money(session, calc.tax_total)))
    return rows


def _summary(session: CheckoutSession, lines: list[dict], calc, *, wallet: bool = False) -> dict:
    """The summary of calculated totals; with `wallet`, the gift cards and store credit
    applied and the amount left to pay (the session's own totals only, not a preview)."""
    paid_with, amount_due, paid = _wallet_rows(session) if wallet else ([], None, False)
    return {
        "lines": lines,
        "item_count": sum(line["quantity"] for line in lines),
        "rows": _calculated_rows(session, calc),
        "total": money(session, calc.grand_total),
        "is_final": True,
        "currency": session.currency,
        "paid_with": paid_with,
        "amount_due": amount_due,
        # Once paid, what was due is what the card paid: the row says so, not "Amount due".
        "paid": paid,
    }


def summary_with_shipping(session: CheckoutSession, shipping: PricingShipping, pickup_location=None) -> dict:
    """order_summary as it will read once `shipping` is chosen: computed by the same rules
    as calculate, stored nowhere. Lines are left out: the choice does not change them."""
    result = session_price_preview(session, shipping=shipping, pickup_location=pickup_location)
    calc = SimpleNamespace(
        **{field: getattr(result, field) for field in PREVIEW_FIELDS},
        adjustments=[asdict(adjustment) for adjustment in result.adjustments],
        shipping=asdict(result.shipping) if result.shipping else None,
    )
    return _summary(session, [], calc)


PREVIEW_FIELDS = ("sub_total", "discount_total", "shipping_total", "fee_total", "tax_total", "grand_total",
                  "prices_include_tax")  # fmt: skip


def order_summary(session: CheckoutSession) -> dict:
    """Lines and totals. Before the first calculation (or after a change that made it
    stale) the total is the cart's subtotal, and shipping and tax say they come later."""
    lines = _lines(session)
    calc = session.current_calculation if session.calculation_is_current else None
    if calc is not None:
        return _summary(session, lines, calc, wallet=True)
    sub_total = sum(line.quantity * line.unit_amount for line in session.lines.all())
    rows = [Row(_("Subtotal"), money(session, sub_total))]
    if session_requires_shipping(session):
        rows.append(Row(_("Shipping"), _("Calculated at the next step"), pending=True))
    rows.append(Row(_("Tax"), _("Calculated at the next step"), pending=True))
    return {
        "lines": lines,
        "item_count": sum(line["quantity"] for line in lines),
        "rows": rows,
        "total": money(session, sub_total),
        "is_final": False,
        "currency": session.currency,
        "paid_with": [],
        "amount_due": None,
    }


def _wallet_rows(session: CheckoutSession) -> tuple[list[Row], str | None, bool]:
    """Gift cards and store credit applied, each with what it covers now (once paid, what
    it paid), what is left to pay by card (None once the balances paid it all), and
    whether the balances were taken; nothing when the wallet is empty."""
    from checkout.services.wallet import wallet_allocation

    allocation = wallet_allocation(session)
    if not allocation.items:
        return [], None, False
    rows = []
    for item, amount in allocation.items:
        if item.gift_card_id:
            rows.append(Row(_("Gift card"), "−" + money(session, amount), note=f"···· {item.gift_card.last4}"))
        else:
            rows.append(Row(_("Store credit"), "−" + money(session, amount)))
    due = None if allocation.paid and allocation.amount_due <= 0 else money(session, allocation.amount_due)
    return rows, due, allocation.paid


def _add_business_days(day, count: int):
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _delivery_estimate(session: CheckoutSession, low: int, high: int) -> str:
    if low != high:
        days = gettext("%(low)s–%(high)s business days") % {"low": low, "high": high}
    else:
        days = ngettext("%(count)s business day", "%(count)s business days", low) % {"count": low}
    # A skeleton, not a pattern: babel orders and punctuates it as the locale writes a
    # short date ("Mon, Dec 7"; "Mo., 7. Dez."), where a fixed pattern reads wrong in German.
    arrives = format_skeleton("MMMEd", _add_business_days(timezone.localdate(), high), locale=babel_locale(session))
    return gettext("%(days)s · arrives by %(date)s") % {"days": days, "date": arrives}


def delivery_choices(session: CheckoutSession) -> dict:
    """Shipping options the cart and address qualify for, and the merchant's pickup points.

    A choice's value is "rate:<id>" or "pickup:<id>"."""
    quote = session_shipping_quote(session)
    selected = ""
    parcels = _parcels(session)
    if parcels and selected_shipment_plan(session) is not None:
        selected = parcels["value"]
    elif session.selected_shipping_rate_id:
        selected = f"rate:{session.selected_shipping_rate.public_id}"
    elif session.pickup_location_id:
        selected = f"pickup:{session.pickup_location.public_id}"
    tax_codes = dict(
        ShippingRate.objects.filter(
            merchant_id=session.merchant_id, public_id__in=[option.id for option in quote.options]
        ).values_list("public_id", "tax_code")
    )
    options = [
        {
            "value": f"rate:{option.id}",
            "name": option.name,
            "carrier": option.carrier,
            "price": money(session, option.amount, option.currency) if option.amount else gettext("Free"),
            "estimate": _delivery_estimate(session, option.min_delivery_days, option.max_delivery_days),
            "summary": summary_with_shipping(
                session,
                PricingShipping(
                    method="rate",
                    reference=option.id,
                    name=option.name,
                    amount=option.amount,
                    tax_code=tax_codes.get(option.id, ""),
                    carrier=option.carrier,
                    service_code=option.service_code,
                ),
            ),
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
                "summary": summary_with_shipping(
                    session,
                    PricingShipping(method="pickup", reference=location.public_id, name=location.name, amount=0),
                    pickup_location=location,
                ),
            }
            for location in pickup_location_list(merchant_id=session.merchant_id)
        ]
    return {
        "required": quote.shipping_required,
        "parcels": parcels,
        "options": options,
        "pickups": pickups,
        "selected": selected,
    }


def _parcels(session: CheckoutSession) -> dict | None:
    """When the cart ships from several locations: one choice that sends each group from
    where it is, with each group's items, cheapest option, price and estimate."""
    groups = shipment_groups_preview(session)
    if not groups or len(groups) < 2 or any(group["shipping_amount"] is None for group in groups):
        return None
    return {
        "value": "plan:split",
        "count": len(groups),
        "price": money(session, sum(group["shipping_amount"] for group in groups), session.currency),
        "groups": [
            {
                "from": group["location"]["name"] if group["location"] else "",
                "items": ", ".join(f"{line['quantity']} × {line['name']}" for line in group["lines"]),
                "option": next(
                    o["name"] for o in group["shipping_options"] if o["id"] == group["selected_shipping_option_id"]
                ),
                "price": money(session, group["shipping_amount"], session.currency)
                if group["shipping_amount"]
                else gettext("Free"),
                "estimate": _delivery_estimate(
                    session, group["estimate"]["min_delivery_days"], group["estimate"]["max_delivery_days"]
                ),
            }
            for group in groups
        ],
    }
