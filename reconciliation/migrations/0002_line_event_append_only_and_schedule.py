"""The line audit log is append-only in PostgreSQL (an UPDATE is refused), and the daily
reconciliation job is registered with beat."""

from django.db import migrations

from core.beat_schedule import schedule_operations

CREATE = """
CREATE OR REPLACE FUNCTION reconciliation_statementlineevent_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'reconciliation_statementlineevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reconciliation_statementlineevent_append_only
    BEFORE UPDATE ON reconciliation_statementlineevent
    FOR EACH ROW EXECUTE FUNCTION reconciliation_statementlineevent_refuse_update();
"""

DROP = """
DROP TRIGGER IF EXISTS reconciliation_statementlineevent_append_only ON reconciliation_statementlineevent;
DROP FUNCTION IF EXISTS reconciliation_statementlineevent_refuse_update();
"""

# Each run reconciles the day before, for every merchant; safe to run more often.
SCHEDULE = [("reconciliation.reconcile_daily", 6, "hours")]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0001_statements_lines_reports"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, drop), migrations.RunPython(*schedule_operations(SCHEDULE))]
