"""PostgreSQL guard: a balance transaction is never changed or deleted.

The one change allowed is a payout claiming the row once (`payout_id` from NULL to a
payout), so a payout knows exactly what it paid. SQLite (the embedded local run) gets no
trigger.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ledger_balancetransaction_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger_balancetransaction is append-only';
    END IF;
    IF OLD.payout_id IS NULL AND NEW.payout_id IS NOT NULL
       AND (to_jsonb(NEW) - 'payout_id') = (to_jsonb(OLD) - 'payout_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ledger_balancetransaction is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_balancetransaction_append_only BEFORE UPDATE OR DELETE ON ledger_balancetransaction
    FOR EACH ROW EXECUTE FUNCTION ledger_balancetransaction_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS ledger_balancetransaction_append_only ON ledger_balancetransaction;
DROP FUNCTION IF EXISTS ledger_balancetransaction_guard();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_balance_transactions_payouts")]

    operations = [migrations.RunPython(create, drop)]
