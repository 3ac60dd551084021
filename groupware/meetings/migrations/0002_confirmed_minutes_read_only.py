"""Confirmed minutes are read-only in the database too (docs/domain/meetings.md §5): a trigger refuses any UPDATE
or DELETE of a confirmed version, whoever tries (the service refuses first, with a Japanese message)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION mt_minutes_confirmed_read_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'confirmed' THEN
        RAISE EXCEPTION 'confirmed minutes (meeting %, version %) are read-only', OLD.meeting_id, OLD.version
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
CREATE TRIGGER mt_minutes_confirmed_read_only BEFORE UPDATE OR DELETE ON groupware_meetings_minutes
    FOR EACH ROW EXECUTE FUNCTION mt_minutes_confirmed_read_only();
"""

DROP = """
DROP TRIGGER IF EXISTS mt_minutes_confirmed_read_only ON groupware_meetings_minutes;
DROP FUNCTION IF EXISTS mt_minutes_confirmed_read_only();
"""


class Migration(migrations.Migration):
    dependencies = [("groupware_meetings", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
