"""Registers the refunds' periodic job: re-queuing refunds whose task was lost."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [("refunds.resume_stuck", 5, "minutes")]


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0002_audit_logs_append_only"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
