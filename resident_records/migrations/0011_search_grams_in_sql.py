"""The search n-grams computed by the database (docs/search.md, docs/domain/resident_bulk_import.md).

* ``kyodo_search_grams(name, kana, address)`` — an IMMUTABLE SQL function of core PostgreSQL (no extension, so the
  embedded server runs it too) returning every 1- and 2-character gram of the three search keys, name and furigana
  prefixed ``n``, address ``a`` (the same grams as ``search.index_grams``, which is kept as the reference the tests
  compare it with).
* the column ``search_grams`` goes; the GIN index is over the expression ``kyodo_search_grams(search_name,
  search_kana, search_address)``, the last a new key column (``search.address_key(address)``): every writer — a 異動
  service, the bulk loader, the CSV import's ``INSERT … SELECT`` — gets the same grams without computing them, the
  import no longer sends 50 grams a resident from Python (45 % of its time at 300,000 rows), and the table's rows
  lose their ~400-byte arrays (a search reading 1,001 matches reads about half as many table pages).
* The indexes the n-gram index replaced are dropped: the three trigram indexes and the two btree indexes of
  0003_search_indexes, and the btree and pattern indexes of ``search_name`` and ``search_kana``. No search uses them
  (tests/resident_records/test_search.py checks the plans) and each one is rebuilt by every 初期登録 and written by
  every 異動.

The function's text is frozen here, as a migration must be; a later change of the rule is a new migration.
"""

import importlib

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

import resident_records.models

BATCH = 5000

# Name and furigana grams prefixed "n", address grams "a". 1-grams: the characters joined with "<US>n" (no regular
# expression); 2-grams: pairs from the first and from the second character ("(..)", the odd last character
# dropped by ".$"). chr(31) (unit separator) never occurs in a search key (they hold no control characters).
# Duplicates are kept (GIN stores each key once per row). Not STRICT: the keys are NOT NULL columns.
_PARTS = " || ".join(
    f"'{prefix}' || array_to_string(string_to_array({arg}, NULL), chr(31) || '{prefix}') || chr(31) "
    f"|| regexp_replace({arg}, '(..)|.$', '{prefix}\\1' || chr(31), 'g') "
    f"|| regexp_replace(substr({arg}, 2), '(..)|.$', '{prefix}\\1' || chr(31), 'g')"
    for prefix, arg in (("n", "name"), ("n", "kana"), ("a", "address"))
)
CREATE_FUNCTION = (
    "CREATE FUNCTION kyodo_search_grams(name text, kana text, address text) RETURNS text[] "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    f"SELECT array_remove(array_remove(string_to_array(rtrim({_PARTS}, chr(31)), chr(31)), 'n'), 'a') $$"
)
DROP_FUNCTION = "DROP FUNCTION kyodo_search_grams(text, text, text)"

UNUSED_INDEXES = (
    "resident_search_name_trgm", "resident_search_kana_trgm", "resident_address_trgm",
    "resident_given_name_idx", "resident_given_name_kana_idx",
)  # fmt: skip


def fill_address_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Keys computed in Python (the services' function), COPYed into a temporary table and written by one UPDATE:
    # a bulk_update of 2,000 rows is a CASE of 2,000 branches evaluated for each of them.
    from common.text import normalize_search_text

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE kyodo_address_keys (id bigint, search_address text) ON COMMIT DROP")
    with connection.chunked_cursor() as read, connection.cursor() as write:
        read.execute("SELECT id, address FROM resident_records_resident")
        while batch := read.fetchmany(BATCH):
            with write.copy("COPY kyodo_address_keys (id, search_address) FROM STDIN") as copy:
                for pk, address in batch:
                    copy.write_row((pk, normalize_search_text(address)))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE resident_records_resident r SET search_address = k.search_address FROM kyodo_address_keys k "
            "WHERE r.id = k.id"
        )
        cursor.execute("DROP TABLE kyodo_address_keys")


def refill_old_grams(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Backwards: the plain column of 0007 again, filled the way 0007 filled it.
    fill = importlib.import_module("resident_records.migrations.0007_search_grams").fill_grams
    fill(apps, schema_editor)


def drop_unused_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        for name in UNUSED_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


def recreate_unused_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    old = importlib.import_module("resident_records.migrations.0003_search_indexes")
    old.create_trigram_indexes(apps, schema_editor)
    with schema_editor.connection.cursor() as cursor:
        for name, column in old.BTREE_INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON resident_records_resident ({column})")


class Migration(migrations.Migration):
    dependencies = [("resident_records", "0010_search_grams_pending_list")]

    operations = [
        # The unused indexes first, so that filling the address keys below does not write them for every row.
        migrations.AlterField(
            model_name="resident", name="search_kana", field=models.CharField(editable=False, max_length=300)
        ),
        migrations.AlterField(
            model_name="resident", name="search_name", field=models.CharField(editable=False, max_length=200)
        ),
        migrations.RunPython(drop_unused_indexes, recreate_unused_indexes),
        migrations.RunSQL(CREATE_FUNCTION, DROP_FUNCTION),
        migrations.RemoveIndex(model_name="resident", name="resident_search_grams_gin"),
        migrations.RunPython(migrations.RunPython.noop, refill_old_grams),
        migrations.RemoveField(model_name="resident", name="search_grams"),
        migrations.AddField(
            model_name="resident",
            name="search_address",
            field=models.CharField(default="", editable=False, max_length=400),
        ),
        migrations.RunPython(fill_address_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="resident",
            index=django.contrib.postgres.indexes.GinIndex(
                resident_records.models.SearchGrams(), gin_pending_list_limit=256, name="resident_search_grams_gin"
            ),
        ),
        # The planner's statistics of the grams are those of the index expression (ANALYZE computes them from a sample
        # of rows, running the function on each). 0007 gave the plain column 1,000; 300 (a sample of 90,000 rows)
        # keeps the common grams' frequencies while ANALYZE after an import computes the grams of 90,000 rows,
        # not of 300,000.
        migrations.RunSQL(
            "ALTER INDEX resident_search_grams_gin ALTER COLUMN 1 SET STATISTICS 300", migrations.RunSQL.noop
        ),
    ]
