from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from merchants.gateways import register_gateway_availability
        from payments.gateways import gateway_class_named

        for name in ("simulator", "stripe"):
            register_gateway_availability(name, gateway_class_named(name).is_configured)
