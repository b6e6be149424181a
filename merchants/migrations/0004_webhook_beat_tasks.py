"""Registers the webhook sweeper with django-celery-beat's DatabaseScheduler.

It dispatches events and re-queues deliveries that were never picked up (the process
died between commit and enqueue, or a worker died holding a claim). get_or_create by
name: re-running never duplicates it, and an interval staff retuned is left alone.
"""

from django.db import migrations
from django.utils import timezone

TASK = "merchants.webhooks.sweep"
EVERY, PERIOD = 30, "seconds"


def _mark_schedule_changed(apps):
    # The scheduler reloads its table only when this timestamp moves; historical models
    # carry no signals, so do what PeriodicTasks.update_changed() would.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Not get_or_create: the table has no unique constraint, so two identical intervals
    # may exist, and get() would then raise.
    interval = IntervalSchedule.objects.filter(every=EVERY, period=PERIOD).order_by("id").first()
    if interval is None:
        interval = IntervalSchedule.objects.create(every=EVERY, period=PERIOD)
    PeriodicTask.objects.get_or_create(name=TASK, defaults={"task": TASK, "interval": interval})
    _mark_schedule_changed(apps)


def unregister(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK).delete()
    # Another task may run on the same interval; only an unused one goes.
    IntervalSchedule.objects.filter(every=EVERY, period=PERIOD, periodictask__isnull=True).delete()
    _mark_schedule_changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0003_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
