"""Registering periodic jobs with django-celery-beat's DatabaseScheduler from migrations.

Each app's data migration names its jobs as (task name, every, period) and calls these,
so every environment (the embedded local run, CI, production) gets the same schedule by
running `migrate`; staff can retune intervals in the admin, and a re-run never duplicates
a task (looked up by name).
"""

from django.utils import timezone


def _mark_schedule_changed(apps):
    # The scheduler reloads its table only when this timestamp moves; historical models
    # carry no signals, so do what PeriodicTasks.update_changed() would.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def register_schedule(apps, schedule):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task, every, period in schedule:
        # Not get_or_create: the table has no unique constraint, so staff may have made
        # two identical intervals, and get() would then raise.
        interval = IntervalSchedule.objects.filter(every=every, period=period).order_by("id").first()
        if interval is None:
            interval = IntervalSchedule.objects.create(every=every, period=period)
        PeriodicTask.objects.get_or_create(name=task, defaults={"task": task, "interval": interval})
    _mark_schedule_changed(apps)


def unregister_schedule(apps, schedule):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[task for task, _, _ in schedule]).delete()
    for _, every, period in schedule:
        # Another task may run on the same interval; only an unused one goes.
        IntervalSchedule.objects.filter(every=every, period=period, periodictask__isnull=True).delete()
    _mark_schedule_changed(apps)


def schedule_operations(schedule):
    """The (forward, backward) pair for migrations.RunPython."""
    return (
        lambda apps, schema_editor: register_schedule(apps, schedule),
        lambda apps, schema_editor: unregister_schedule(apps, schedule),
    )
