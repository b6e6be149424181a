"""The shopper's receipt: the page at /receipts/<receipt_id> and the data behind it.

The page needs no login: the receipt id (143 random bits, separate from the order id,
never put in events or logs) is the bearer secret, the way Stripe's receipt links work.
So the page shows what a paper receipt shows and no more: the shop, the lines, the
totals, the card brand and last four, the customer's name and a masked email. It is
sent with no-store, no-referrer and noindex so the link does not travel further.
"""

from datetime import date

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from checkout.languages import locale_language
from checkout.models import Order
from checkout.order_selectors import order_by_receipt, order_payment_status, order_payments
from core.money import Money
from payments.bnpl.selectors import installments_for_payment_intent

FALLBACK_LOCALE = "en_US"
TOTAL_LABELS = [
    ("sub_total", _("Subtotal")),
    ("discount_total", _("Discount")),
    ("shipping_total", _("Shipping")),
    ("tax_total", _("Tax")),
    ("fee_total", _("Fees")),
]


def _locale(value: str) -> str:
    try:
        Locale.parse(value or FALLBACK_LOCALE)
        return value or FALLBACK_LOCALE
    except (ValueError, UnknownLocaleError):
        return FALLBACK_LOCALE


def _masked(email: str) -> str:
    if "@" not in email:
        return ""
    name, domain = email.split("@", 1)
    return f"{name[:1]}•••@{domain}"


def receipt_amounts(order: Order) -> dict:
    """The receipt's totals formatted for the order's locale (the order resource's
    `receipt.formatted`): no query, unlike the whole receipt."""
    locale = _locale(order.locale)
    totals = order.totals or {}
    amounts = {key: int(totals.get(key) or 0) for key, _ in TOTAL_LABELS}
    return {key: Money(amount, order.currency).format(locale) for key, amount in {
        **amounts, "grand_total": order.amount}.items()}  # fmt: skip


def payment_rows(payments: list[dict], money) -> list[dict]:
    """What paid, one row per part as the shopper knows it ("Gift card ···· DV6Q",
    "Visa •••• 4242", "Store credit") with the amount it paid, `money` formatting it."""
    rows = []
    for part in payments:
        if part["type"] == "gift_card":
            name = f"{gettext('Gift card')} ···· {part.get('last4', '')}"
        elif part["type"] == "store_credit":
            name = gettext("Store credit")
        elif part.get("brand") == "bank_transfer":
            name = gettext("Bank transfer")
        else:
            name = f"{capfirst(part.get('brand', ''))} •••• {part.get('last4', '')}"
        rows.append({"type": part["type"], "name": name, "amount": money(part["amount"])})
    return rows


def receipt_context(order: Order) -> dict:
    """Everything the receipt shows, amounts already formatted for the order's locale."""
    locale = _locale(order.locale)

    def money(amount) -> str:
        return Money(int(amount or 0), order.currency).format(locale)

    totals = order.totals or {}
    rows = [(label, money(totals.get(key))) for key, label in TOTAL_LABELS if totals.get(key)]
    payments = order_payments(order)
    return {
        "order": order,
        "merchant_name": order.merchant.name,
        "lines": [
            {
                "name": line.get("name") or line.get("sku", ""),
                "sku": line.get("sku", ""),
                "quantity": line.get("quantity", 0),
                "unit": money(line.get("unit_amount")),
                # Before discount and tax, so the lines add up to the subtotal shown below them.
                "total": money(line.get("base_amount", line.get("quantity", 0) * line.get("unit_amount", 0))),
            }
            for line in order.lines
        ],
        "total_rows": rows,
        "grand_total": money(order.amount),
        "formatted": receipt_amounts(order),
        "customer_name": (order.customer or {}).get("name", ""),
        "customer_email": _masked((order.customer or {}).get("email", "")),
        "card": order.payment_method,
        # Paid in parts (gift cards, store credit, cards): each part and what it paid.
        "paid_with": payment_rows(payments, money) if len(payments) > 1 else [],
        "authorized_only": order_payment_status(order) == Order.PaymentStatus.AUTHORIZED,
        "installments": _installments(order, money, locale),
        "language": locale.split("_", 1)[0],
        "paid_on": format_date(order.created_at, "long", locale=locale),
    }


def _installments(order: Order, money, locale: str) -> list[dict]:
    """Paid by buy now, pay later: the card paid the first installment, not the order, so
    the receipt shows the plan (what was paid, what is due when) beside the card."""
    schedule = installments_for_payment_intent(merchant_id=order.merchant_id, payment_intent_id=order.payment_intent_id)
    return [
        {
            "amount": money(row["amount"]),
            "due": format_date(date.fromisoformat(row["due_date"]), "medium", locale=locale),
            "paid": row["status"] == "paid",
            "status": row["status"],
            "attempts": row.get("attempts", 0),
            "amount_minor": row["amount"],
        }
        for row in schedule or []
    ]


def receipt_installments(order: Order) -> dict | None:
    """The order's installment plan as the receipt shows it, with what was paid so far
    (for the hosted success page, which must not say the whole order was paid); None
    when the order was not paid by installments. One query."""
    locale = _locale(order.locale)

    def money(amount) -> str:
        return Money(int(amount or 0), order.currency).format(locale)

    rows = _installments(order, money, locale)
    if not rows:
        return None
    return {"rows": rows, "paid": money(sum(row["amount_minor"] for row in rows if row["paid"]))}


@require_GET
def receipt_page(request, receipt_id: str):
    order = order_by_receipt(receipt_id=receipt_id)
    if order is None:
        raise Http404("No such receipt.")
    with translation.override(locale_language(order.locale)):
        response = render(request, "receipts/receipt.html", receipt_context(order))
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
