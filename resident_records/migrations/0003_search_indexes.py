"""Trigram indexes for partial name, furigana and address search (issue 3 §3).

pg_trgm lives in the public schema, once per database, so every town schema can use its operator class;
a town's own dump therefore needs the extension in the database it is restored into (withdrawal proof,
BCP restores create it first).
"""

from django.db import migrations

INDEXES = [
    ("resident_search_name_trgm", "search_name"),
    ("resident_search_kana_trgm", "search_kana"),
    ("resident_address_trgm", "address"),
]


class Migration(migrations.Migration):
    dependencies = [("resident_records", "0002_sequences_and_append_only")]

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public", migrations.RunSQL.noop),
        *[
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON resident_records_resident "
                f"USING gin ({column} public.gin_trgm_ops)",
                f"DROP INDEX IF EXISTS {name}",
            )
            for name, column in INDEXES
        ],
    ]
