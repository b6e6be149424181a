"""Registers checkout.tidy_reservations: it only flips lapsed holds to `expired`;
availability never waits for it, so a minute's interval is plenty."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [("checkout.tidy_reservations", 1, "minutes")]


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0004_inventory_holds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
