"""Registers checkout.tidy_reservations with django-celery-beat's DatabaseScheduler.

The job only flips lapsed holds to `expired`; availability never waits for it, so a
minute's interval is plenty. get_or_create by name: re-running never duplicates it, and
an interval staff retuned in the admin is left alone.
"""

from django.db import migrations
from django.utils import timezone

TASK = "checkout.tidy_reservations"
EVERY, PERIOD = 1, "minutes"


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
    # Other jobs share the one-minute interval; only an unused one goes.
    IntervalSchedule.objects.filter(every=EVERY, period=PERIOD, periodictask__isnull=True).delete()
    _mark_schedule_changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0004_inventory_holds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
