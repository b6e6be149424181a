"""Registers the ledger's periodic jobs: payouts and the analytics rollup, each safe to
run as often as wanted (a payout is one per merchant, currency and day; a rollup replaces
its day)."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [
    ("ledger.payouts_daily", 1, "hours"),
    ("ledger.analytics_daily", 1, "hours"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_analytics_and_exports"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
