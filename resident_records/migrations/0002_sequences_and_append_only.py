"""Number sequences of the town and database-level immutability of the 異動 history.

宛名番号 and 世帯番号 come from PostgreSQL sequences in the town's own schema (never reused, safe under
concurrency). 異動 (ChangeEvent) and the 記載履歴 (ResidentRecord, HouseholdRecord) are history: the
database refuses to change or delete them, so a past state can always be shown as it was recorded.
"""

from django.db import migrations

FORWARD = """
CREATE SEQUENCE IF NOT EXISTS resident_records_atena_seq START 1;
CREATE SEQUENCE IF NOT EXISTS resident_records_household_seq START 1;

CREATE OR REPLACE FUNCTION kyodo_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only history: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

TABLES = ["resident_records_changeevent", "resident_records_residentrecord", "resident_records_householdrecord"]

TRIGGERS = "".join(
    f"""
CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION kyodo_history_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION kyodo_history_append_only();
"""
    for table in TABLES
)

BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS {t}_no_update_delete ON {t}; DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};"
    for t in TABLES
) + (
    "DROP FUNCTION IF EXISTS kyodo_history_append_only();"
    "DROP SEQUENCE IF EXISTS resident_records_atena_seq; DROP SEQUENCE IF EXISTS resident_records_household_seq;"
)


class Migration(migrations.Migration):
    dependencies = [("resident_records", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD + TRIGGERS, BACKWARD)]
