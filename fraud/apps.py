from django.apps import AppConfig


class FraudConfig(AppConfig):
    name = "fraud"

    def ready(self):
        # Its menu and dashboard tiles (core.backoffice.registry).
        from fraud import backoffice

        backoffice.register()
