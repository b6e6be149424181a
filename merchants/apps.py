from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = "Merchants"

    def ready(self):
        from core.metrics import register_scrape_collector
        from merchants import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from merchants.cached import connect_webhook_signals
        from merchants.events import register_event_handler
        from merchants.webhook_delivery import event_has_targets, on_event_committed
        from merchants.webhooks.metrics import WebhookBacklogCollector

        register_event_handler(on_event_committed, wants=event_has_targets)
        connect_webhook_signals()

        from core.health import register_health_check
        from merchants.health import webhook_backlog_ok

        register_health_check("webhooks", webhook_backlog_ok)
        # Its menu and dashboard tiles (core.backoffice.registry).
        from merchants import backoffice

        backoffice.register()
        register_scrape_collector(WebhookBacklogCollector())
