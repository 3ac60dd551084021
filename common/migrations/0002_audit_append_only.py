"""The database itself refuses to change or remove audit rows (in every schema this migration runs in).

The trigger function is created unqualified, i.e. in the schema being migrated (django-tenants puts
it first on the search_path), so each town's dump carries its own protection.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION kyodo_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'common_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER common_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON common_auditevent
    FOR EACH ROW EXECUTE FUNCTION kyodo_audit_append_only();
CREATE TRIGGER common_auditevent_no_truncate
    BEFORE TRUNCATE ON common_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION kyodo_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS common_auditevent_no_truncate ON common_auditevent;
DROP TRIGGER IF EXISTS common_auditevent_no_update_delete ON common_auditevent;
DROP FUNCTION IF EXISTS kyodo_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
