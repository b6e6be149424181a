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

        from merchants.capabilities import register_capability, register_payment_method_type
        from payments.bnpl.selectors import METHOD_TYPE, bnpl_available

        register_capability("installments", bnpl_available)
        register_payment_method_type(METHOD_TYPE, bnpl_available)
        # Its menu and dashboard tile (core.backoffice.registry).
        from payments.bnpl import backoffice

        backoffice.register()
