from django.apps import AppConfig


class RefundsConfig(AppConfig):
    name = "refunds"

    def ready(self):
        # Payments sits below refunds and reports disputes only through its registry.
        from payments.hooks import register_dispute_listener
        from refunds.services.disputes import dispute_record

        register_dispute_listener(dispute_record)
