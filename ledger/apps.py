from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    label = "ledger"
    verbose_name = "Balance and payouts"

    def ready(self):
        from ledger.services.balance import balance_transaction_from_movement
        from payments import hooks

        hooks.register_money_listener(balance_transaction_from_movement)
        from ledger import backoffice

        backoffice.register()
