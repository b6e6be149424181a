from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "API machinery"

    def ready(self):
        from core import health  # noqa: F401  (registers core's own health checks)
