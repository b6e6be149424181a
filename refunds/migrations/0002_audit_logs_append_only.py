"""Makes the refund and dispute audit logs append-only in PostgreSQL: an UPDATE of a row
is refused. (As for payments' log, deleting stays possible for retention and test
flushes; SQLite, used only for the embedded local run, gets no trigger.)"""

from django.db import migrations

TABLES = ("refunds_refundevent", "refunds_disputeevent")

CREATE = """
CREATE OR REPLACE FUNCTION {table}_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_refuse_update();
"""

DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS {table}_refuse_update();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(CREATE.format(table=table))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(DROP.format(table=table))


class Migration(migrations.Migration):
    dependencies = [("refunds", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
