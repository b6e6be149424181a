from django.apps import AppConfig


class RefundsConfig(AppConfig):
    name = "refunds"

    def ready(self):
        # Payments sits below refunds and reports disputes only through its registry.
        from payments.hooks import register_dispute_listener, register_refund_listener, register_refund_reservations
        from refunds.services.disputes import dispute_record
        from refunds.services.processing import refund_gateway_update
        from refunds.services.requests import refund_reservations

        register_dispute_listener(dispute_record)
        # What may still be refunded is computed in payments, counting these.
        register_refund_reservations(refund_reservations)
        # Stripe refunds answered `pending` are settled by its later refund events.
        register_refund_listener(refund_gateway_update)
        # Its menu and dashboard tiles (core.backoffice.registry).
        from refunds import backoffice

        backoffice.register()
