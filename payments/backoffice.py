"""Payments' place in the back office: its menu and today's figures on the dashboard.

The pattern every app follows (called from its AppConfig.ready()):
`add_menu(MenuItem(group, title, model="app.Model", query=..., icon=...))` for the sidebar,
`add_tile(Tile(key, title, model, count=..., query=...))` for a queue on the dashboard.
"""

from django.utils import timezone

from core.backoffice.registry import PAYMENTS, Figure, MenuItem, add_figure, add_menu
from core.money import format_minor
from payments import selectors


def _start_of_today():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def volume_today() -> list[tuple[str, str]]:
    totals = selectors.payments_volume_since(_start_of_today())
    return [(currency, format_minor(total, currency)) for currency, total in totals] or [("", "Nothing captured yet")]


def success_rate_today() -> list[tuple[str, str]]:
    succeeded, decided = selectors.attempts_success_since(_start_of_today())
    if not decided:
        return [("", "No attempts yet")]
    return [(f"{succeeded} of {decided} attempts", f"{succeeded * 100 / decided:.1f}%")]


def register():
    add_menu(
        MenuItem(PAYMENTS, "Payments", model="payments.PaymentTransaction", icon="credit_card", order=10),
        MenuItem(PAYMENTS, "Authorized, to capture", model="payments.PaymentTransaction",
                 query="state__exact=authorized", icon="hourglass_top", order=20),
        MenuItem(PAYMENTS, "Saved cards", model="payments.PaymentMethod", icon="wallet", order=30),
        MenuItem(PAYMENTS, "Gift cards", model="payments.GiftCard", icon="card_giftcard", order=40),
        MenuItem(PAYMENTS, "Store credit", model="payments.StoreCreditAccount", icon="savings", order=50),
        MenuItem(PAYMENTS, "Split payments", model="payments.SplitPayment", icon="call_split", order=60),
        MenuItem(PAYMENTS, "Gateway events", model="payments.GatewayEvent", icon="sync_alt", order=70),
    )  # fmt: skip
    add_figure(Figure(key="volume_today", title="Captured today", value=volume_today,
                      permission="payments.view_paymenttransaction", order=10))  # fmt: skip
    add_figure(Figure(key="success_rate_today", title="Success rate today", value=success_rate_today,
                      permission="payments.view_paymenttransaction", order=20))  # fmt: skip
