"""Registers the webhook sweeper: it dispatches events and re-queues deliveries that were
never picked up (the process died between commit and enqueue, or a worker died holding
a claim)."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [("merchants.webhooks.sweep", 30, "seconds")]


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0003_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
