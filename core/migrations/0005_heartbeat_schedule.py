"""Registers core.heartbeat: every 30 s the worker proves it is alive (GET /health)."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [("core.heartbeat", 30, "seconds")]


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_heartbeats"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
