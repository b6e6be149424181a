import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes every database connection before and after each task
# unless this is set, which costs a new PostgreSQL connection (and backend process) per
# task. Set, the fixup leaves connections alone and the handlers below apply Django's own
# rule instead, as around a web request: CONN_MAX_AGE, CONN_HEALTH_CHECKS, broken ones.
app.conf["CELERY_DB_REUSE_MAX"] = 2**62
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(sender=None, **kwargs):
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return  # an eager task runs inside its caller's request or test
    from django.db import close_old_connections

    close_old_connections()


@signals.setup_logging.connect
def _use_django_logging(**kwargs):
    """The worker and beat write the same structured, scrubbed lines as the web process
    (settings.LOGGING) instead of Celery's own format."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
