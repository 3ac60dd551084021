"""Indexes for name, furigana and address search (docs/domain/resident_register.md; resident_records.search).

* Trigram (pg_trgm, GIN) indexes serve partial matches (``LIKE '%…%'``) of three characters or more on the
  normalised name and furigana keys and on the address.
* A trigram index cannot serve one- or two-character patterns (they contain no trigram), so short name
  queries are answered by a prefix match — served by the ``varchar_pattern_ops`` indexes Django already
  creates for ``search_name`` / ``search_kana`` (db_index) — and by an exact match on the given name, served by
  the two btree indexes below.

pg_trgm lives in the public schema, once per database, so every town schema can use its operator class;
a town's own dump therefore needs the extension in the database it is restored into (withdrawal proof,
BCP restores create it first).

A PostgreSQL built without the contrib modules (the embedded server of the one-command demo) has no
pg_trgm: there the trigram indexes are skipped with a warning and search still works, scanning instead of
using the index. Production and CI servers (Debian's postgresql packages) have it.
"""

import warnings

from django.db import migrations

TRIGRAM_INDEXES = [
    ("resident_search_name_trgm", "search_name"),
    ("resident_search_kana_trgm", "search_kana"),
    ("resident_address_trgm", "address"),
]

BTREE_INDEXES = [
    ("resident_given_name_idx", "given_name"),
    ("resident_given_name_kana_idx", "given_name_kana"),
]


def create_trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            warnings.warn("pg_trgm is not available: resident search runs without trigram indexes", stacklevel=1)
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        for name, column in TRIGRAM_INDEXES:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON resident_records_resident "
                f"USING gin ({column} public.gin_trgm_ops)"
            )


def drop_trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        for name, _column in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("resident_records", "0002_sequences_and_append_only")]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
        *[
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON resident_records_resident ({column})",
                f"DROP INDEX IF EXISTS {name}",
            )
            for name, column in BTREE_INDEXES
        ],
    ]
