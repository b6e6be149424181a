"""Registers the payments' periodic jobs: expiry of lapsed intents and the janitor."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [
    ("payments.expire_due", 1, "minutes"),
    ("payments.settle_open", 5, "minutes"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
