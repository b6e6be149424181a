from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = "Merchants"

    def ready(self):
        from merchants import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from merchants.cached import connect_webhook_signals
        from merchants.events import register_event_handler
        from merchants.webhook_delivery import event_has_targets, on_event_committed

        register_event_handler(on_event_committed, wants=event_has_targets)
        connect_webhook_signals()
