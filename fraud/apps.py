from django.apps import AppConfig


class FraudConfig(AppConfig):
    name = "fraud"

    def ready(self):
        from fraud import capabilities
        from merchants.capabilities import register_capability

        register_capability("fraud", capabilities.fraud_screening)
        register_capability("kyc", capabilities.kyc)
        # Its menu and dashboard tiles (core.backoffice.registry).
        from fraud import backoffice

        backoffice.register()
