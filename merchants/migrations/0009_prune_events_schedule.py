"""Registers merchants.prune_events: daily, events past EVENTS_RETENTION_DAYS are deleted."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [("merchants.prune_events", 1, "days")]


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0008_audit_trail"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
