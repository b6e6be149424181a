from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "checkout"

    def ready(self):
        from checkout import rate_tables  # noqa: F401  (connects the rate tables' invalidation)

        # Payments sits below checkout and calls up only through its listener registry.
        from checkout.order_selectors import session_paid_lines
        from checkout.selectors import payment_event_context, payment_intent_details
        from checkout.services.payment import session_payable_check, session_payment_notice, session_risk_facts
        from checkout.services.wallet import session_payer_customer
        from payments.hooks import (
            register_customer_provider,
            register_event_context,
            register_intent_details,
            register_paid_lines_provider,
            register_payable_check,
            register_payment_listener,
            register_risk_facts_provider,
        )

        register_payment_listener(session_payment_notice)
        register_payable_check(session_payable_check)
        register_paid_lines_provider(session_paid_lines)
        register_risk_facts_provider(session_risk_facts)
        register_customer_provider(session_payer_customer)
        # The API document's events carry checkout_id: payment events get it from here.
        register_event_context(payment_event_context)
        register_intent_details(payment_intent_details)

        from checkout.hosted.health import hosted_pages_ok
        from core.health import register_health_check

        register_health_check("hosted_pages", hosted_pages_ok)

        from checkout.hosted.health import hosted_pages_available
        from merchants.capabilities import register_capability

        register_capability("hosted_pages", hosted_pages_available)
        # Its menu and dashboard tiles (core.backoffice.registry).
        from checkout import backoffice

        backoffice.register()
