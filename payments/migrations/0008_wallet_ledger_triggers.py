"""PostgreSQL guards for the gift card and store credit ledgers.

- A ledger row is never updated (append-only, like the payment event log).
- At commit (deferred constraint triggers), an instrument's balance must equal the sum of
  its ledger: a balance changed without its ledger row, or a row without its balance,
  refuses the whole transaction. SQLite (the embedded local run) gets no trigger.
"""

from django.db import migrations

LEDGERS = [
    # (ledger table, its instrument column, instrument table, balance column)
    ("payments_giftcardtransaction", "gift_card_id", "payments_giftcard", "current_balance"),
    ("payments_storecredittransaction", "account_id", "payments_storecreditaccount", "balance"),
]


def _create(ledger, column, instrument, balance):
    return f"""
CREATE OR REPLACE FUNCTION {ledger}_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{ledger} is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {ledger}_append_only BEFORE UPDATE ON {ledger}
    FOR EACH ROW EXECUTE FUNCTION {ledger}_refuse_update();

CREATE OR REPLACE FUNCTION {instrument}_ledger_check(instrument_id bigint) RETURNS void AS $$
DECLARE
    stored bigint;
    summed bigint;
BEGIN
    SELECT {balance} INTO stored FROM {instrument} WHERE id = instrument_id;
    IF stored IS NULL THEN
        RETURN;
    END IF;
    SELECT COALESCE(SUM(amount), 0) INTO summed FROM {ledger} WHERE {column} = instrument_id;
    IF stored <> summed THEN
        RAISE EXCEPTION '{instrument} %% balance %% is not the sum of its ledger %%', instrument_id, stored, summed;
    END IF;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION {instrument}_balance_trigger() RETURNS trigger AS $$
BEGIN
    PERFORM {instrument}_ledger_check(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION {ledger}_sum_trigger() RETURNS trigger AS $$
BEGIN
    PERFORM {instrument}_ledger_check(NEW.{column});
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER {instrument}_balance_is_ledger AFTER INSERT OR UPDATE ON {instrument}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {instrument}_balance_trigger();
CREATE CONSTRAINT TRIGGER {ledger}_sums_to_balance AFTER INSERT ON {ledger}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {ledger}_sum_trigger();
"""


def _drop(ledger, column, instrument, balance):
    return f"""
DROP TRIGGER IF EXISTS {ledger}_sums_to_balance ON {ledger};
DROP TRIGGER IF EXISTS {instrument}_balance_is_ledger ON {instrument};
DROP TRIGGER IF EXISTS {ledger}_append_only ON {ledger};
DROP FUNCTION IF EXISTS {ledger}_sum_trigger();
DROP FUNCTION IF EXISTS {instrument}_balance_trigger();
DROP FUNCTION IF EXISTS {instrument}_ledger_check(bigint);
DROP FUNCTION IF EXISTS {ledger}_refuse_update();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for ledger in LEDGERS:
            schema_editor.execute(_create(*ledger))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for ledger in LEDGERS:
            schema_editor.execute(_drop(*ledger))


class Migration(migrations.Migration):
    dependencies = [("payments", "0007_gift_cards_store_credit_split_payments")]

    operations = [migrations.RunPython(create, drop)]
