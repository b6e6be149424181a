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

        # Fraud sits below payments: a reviewer's decision reaches the held money here.
        from fraud.hooks import register_payment_voider, register_review_decider
        from payments.services.reviews import payment_fraud_void, payment_review_decide

        register_review_decider(payment_review_decide)
        register_payment_voider(payment_fraud_void)
