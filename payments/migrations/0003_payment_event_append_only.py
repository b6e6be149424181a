"""Makes the payment event log append-only in PostgreSQL: an UPDATE of a row is refused.

(Deleting stays possible for retention jobs and test-database flushes; SQLite, used only
for the embedded local run, gets no trigger.)
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION payments_paymentevent_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'payments_paymentevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payments_paymentevent_append_only
    BEFORE UPDATE ON payments_paymentevent
    FOR EACH ROW EXECUTE FUNCTION payments_paymentevent_refuse_update();
"""

DROP = """
DROP TRIGGER IF EXISTS payments_paymentevent_append_only ON payments_paymentevent;
DROP FUNCTION IF EXISTS payments_paymentevent_refuse_update();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_beat_schedule")]

    operations = [migrations.RunPython(create, drop)]
