"""Registers the daily installment job (charges, retries, overdue, collections, reminders)."""

from django.db import migrations

from core.beat_schedule import schedule_operations

SCHEDULE = [("bnpl.charge_installments", 1, "days")]


class Migration(migrations.Migration):
    dependencies = [
        ("bnpl", "0001_bnpl_applications_plans_installments"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULE))]
