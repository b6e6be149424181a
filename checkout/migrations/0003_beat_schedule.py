"""Registers the periodic checkout jobs (session expiry, idempotency-key pruning)."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [
    ("checkout.expire_sessions", 1, "minutes"),
    ("core.prune_idempotency_keys", 1, "hours"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0002_calculation_shipping"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
