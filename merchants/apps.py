from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = "Merchants"

    def ready(self):
        from merchants import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from merchants.events import register_event_handler
        from merchants.webhook_delivery import on_event_committed

        register_event_handler(on_event_committed)

        from core.health import register_health_check
        from merchants.health import webhook_backlog_ok

        register_health_check("webhooks", webhook_backlog_ok)
