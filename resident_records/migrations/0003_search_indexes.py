"""Trigram indexes for partial name, furigana and address search (issue 3 §3).

pg_trgm lives in the public schema, once per database, so every town schema can use its operator class;
a town's own dump therefore needs the extension in the database it is restored into (withdrawal proof,
BCP restores create it first).

A PostgreSQL built without the contrib modules (the embedded server of the one-command demo) has no
pg_trgm: there the indexes are skipped with a warning and search still works, scanning instead of using
the index. Production and CI servers (Debian's postgresql packages) have it.
"""

import warnings

from django.db import migrations

INDEXES = [
    ("resident_search_name_trgm", "search_name"),
    ("resident_search_kana_trgm", "search_kana"),
    ("resident_address_trgm", "address"),
]


def create_trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            warnings.warn("pg_trgm is not available: resident search runs without trigram indexes", stacklevel=1)
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        for name, column in INDEXES:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON resident_records_resident "
                f"USING gin ({column} public.gin_trgm_ops)"
            )


def drop_trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        for name, _column in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("resident_records", "0002_sequences_and_append_only")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
