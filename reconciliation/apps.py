from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "reconciliation"

    def ready(self):
        # Its menu and dashboard tile (core.backoffice.registry).
        from reconciliation import backoffice

        backoffice.register()

        from merchants.capabilities import register_capability
        from reconciliation.selectors import reconciliation_configured

        register_capability("reconciliation", reconciliation_configured)

        from ledger.dashboard import register_series
        from reconciliation.selectors import dashboard_line_states

        register_series(dashboard_line_states)

        # A bank transfer's refund goes back to the account its statement credit came from.
        from payments.hooks import register_transfer_payer_provider
        from reconciliation.selectors import transfer_payer_of

        register_transfer_payer_provider(transfer_payer_of)
