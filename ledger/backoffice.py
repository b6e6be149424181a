"""The ledger's entries in the back office's sidebar (core.backoffice.registry)."""

from core.backoffice.registry import FINANCE, MenuItem, add_menu


def register() -> None:
    add_menu(
        MenuItem(FINANCE, "Finance dashboard", url_name="admin:ledger_finance_dashboard",
                 permission="ledger.view_paymentanalytics", icon="monitoring", order=5),
        MenuItem(FINANCE, "Balance transactions", model="ledger.BalanceTransaction", icon="receipt_long", order=60),
        MenuItem(FINANCE, "Payouts", model="ledger.Payout", icon="account_balance", order=70),
        MenuItem(FINANCE, "Payment analytics", model="ledger.PaymentAnalytics", icon="insights", order=80),
        MenuItem(FINANCE, "Merchant pricing", model="ledger.MerchantPricing", icon="sell", order=90),
        MenuItem(FINANCE, "Exports", model="ledger.Export", icon="download", order=95),
    )  # fmt: skip
