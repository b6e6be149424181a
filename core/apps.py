from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "API machinery"

    def ready(self):
        from core import health  # noqa: F401  (registers core's own health checks)
        from core.backoffice import system_menu

        system_menu.register()
        from core.logs import configure_structlog
        from core.request_id import connect_signals

        configure_structlog()
        connect_signals()
