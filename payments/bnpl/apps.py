from django.apps import AppConfig


class BnplConfig(AppConfig):
    name = "payments.bnpl"
    label = "bnpl"
    verbose_name = "Buy now, pay later"

    def ready(self):
        # Payments reaches BNPL only through its registries: confirm, the gateway event
        # router, the refund call point, the return's sync, the payment listener and the
        # methods offered.
        from payments import hooks
        from payments.bnpl.selectors import bnpl_method_offers
        from payments.bnpl.services import hookup
        from payments.bnpl.services.applications import bnpl_confirm

        hooks.register_method_confirmer("buy_now_pay_later", bnpl_confirm)
        hooks.register_gateway_event_handler("bnpl.checkout", hookup.bnpl_gateway_event)
        hooks.register_payment_refunder(hookup.bnpl_payment_refund)
        hooks.register_payment_syncer(hookup.bnpl_payment_sync)
        hooks.register_payment_listener(hookup.bnpl_payment_notice)
        hooks.register_method_offers(bnpl_method_offers)
        # Its menu and dashboard tile (core.backoffice.registry).
        from payments.bnpl import backoffice

        backoffice.register()
