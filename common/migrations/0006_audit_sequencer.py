"""Audit rows are written without a lock and chained right after their commit (docs/audit.md).

In every schema this migration runs in (public and each town):
- ``seq`` comes from a sequence (``common_auditevent_entry_seq``, owned by the column, started past the rows in
  use), so writers no longer read the head under a town-wide lock;
- ``chain_seq`` is the row's place in the chain, given by the sequencer; the rows chained before keep their place
  (``chain_seq = seq``, and their hashes stay valid: see common.audit.compute_row_hash);
- ``prev_hash`` / ``row_hash`` are empty until the row is chained;
- the append-only trigger lets exactly one update through: filling a row's empty chain columns, with nothing
  else of the row changed. Everything else (UPDATE of content, DELETE, TRUNCATE) is still refused.
"""

from django.db import migrations, models

SEQUENCE = """
CREATE SEQUENCE common_auditevent_entry_seq OWNED BY common_auditevent.seq;
SELECT setval('common_auditevent_entry_seq', COALESCE((SELECT max(seq) FROM common_auditevent), 0) + 1, false);
"""

APPEND_ONLY_WITH_CHAINING = """
CREATE OR REPLACE FUNCTION kyodo_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The sequencer links a row once: its empty chain columns are filled, nothing else changes.
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
       AND NEW.prev_hash IS NOT NULL AND NEW.row_hash IS NOT NULL
       AND (OLD.row_hash IS NULL OR (OLD.row_hash = NEW.row_hash AND OLD.prev_hash = NEW.prev_hash))
       AND to_jsonb(NEW) - ARRAY['chain_seq', 'prev_hash', 'row_hash']
           = to_jsonb(OLD) - ARRAY['chain_seq', 'prev_hash', 'row_hash'] THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'common_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
UPDATE common_auditevent SET chain_seq = seq;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION kyodo_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'common_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0005_audit_details_person_index"),
    ]

    operations = [
        migrations.RunSQL(SEQUENCE, "DROP SEQUENCE IF EXISTS common_auditevent_entry_seq"),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                db_default=models.Func(
                    models.Value("common_auditevent_entry_seq"),
                    function="nextval",
                    output_field=models.BigIntegerField(),
                ),
                unique=True,
                verbose_name="連番",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_seq",
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name="連鎖番号"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name="直前行ハッシュ"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True, verbose_name="行ハッシュ"),
        ),
        migrations.RunSQL(APPEND_ONLY_WITH_CHAINING, APPEND_ONLY),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("chain_seq__isnull", True)), fields=["seq"], name="audit_unchained"),
        ),
    ]
