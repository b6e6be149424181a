from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from merchants.gateways import register_gateway_availability
        from payments.gateways import gateway_class_named

        for name in ("simulator", "stripe"):
            register_gateway_availability(name, gateway_class_named(name).is_configured)

        from core.health import register_health_check
        from payments.health import gateway_health_check

        for name in ("simulator", "stripe"):
            register_health_check(f"gateway.{name}", gateway_health_check(name))

        from merchants.capabilities import register_capability, register_payment_method_type
        from payments import capabilities

        register_capability("three_d_secure", capabilities.card_payments)
        register_capability("split_payments", capabilities.split_payments)
        register_capability("gift_cards", capabilities.gift_cards)
        register_capability("store_credit", capabilities.store_credit)
        register_payment_method_type("card", capabilities.card_payments)
        register_payment_method_type("gift_card", capabilities.gift_cards)
        register_payment_method_type("store_credit", capabilities.store_credit)
        register_payment_method_type("bank_transfer", capabilities.bank_transfer)

        # Fraud sits below payments: a reviewer's decision reaches the held money here.
        from fraud.hooks import register_payment_voider, register_review_decider
        from payments.services.reviews import payment_fraud_void, payment_review_decide

        register_review_decider(payment_review_decide)
        register_payment_voider(payment_fraud_void)
        # Its menu and dashboard tiles (core.backoffice.registry).
        from payments import backoffice

        backoffice.register()
