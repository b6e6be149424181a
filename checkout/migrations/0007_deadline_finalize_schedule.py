"""Registers checkout.enforce_deadlines (approval and payment time limits) and
checkout.finalize_paid (paid sessions nobody finalized). Both are safe to run twice and
claim sessions with skip_locked, so a minute's interval costs little."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [
    ("checkout.enforce_deadlines", 1, "minutes"),
    ("checkout.finalize_paid", 1, "minutes"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0006_approval_orders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
