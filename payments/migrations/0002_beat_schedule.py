"""Registers the payments' periodic jobs with django-celery-beat's DatabaseScheduler.

Reversible; a re-run never duplicates a task (get_or_create by name).
"""

from django.db import migrations
from django.utils import timezone

SCHEDULE = [
    # (task name, interval every, period)
    ("payments.expire_due", 1, "minutes"),
    ("payments.settle_open", 5, "minutes"),
]


def _mark_schedule_changed(apps):
    # The scheduler reloads its table only when this timestamp moves; historical models
    # carry no signals, so do what PeriodicTasks.update_changed() would.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task, every, period in SCHEDULE:
        interval = IntervalSchedule.objects.filter(every=every, period=period).order_by("id").first()
        if interval is None:
            interval = IntervalSchedule.objects.create(every=every, period=period)
        PeriodicTask.objects.get_or_create(name=task, defaults={"task": task, "interval": interval})
    _mark_schedule_changed(apps)


def unregister(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[task for task, _, _ in SCHEDULE]).delete()
    for _, every, period in SCHEDULE:
        # Another task may run on the same interval; only an unused one goes.
        IntervalSchedule.objects.filter(every=every, period=period, periodictask__isnull=True).delete()
    _mark_schedule_changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
