"""The GIN index of the search n-grams keeps a pending list of at most 256 kB instead of 4 MB (docs/search.md).

With ``fastupdate`` (the default), new entries wait in the index's pending list until it exceeds
``gin_pending_list_limit`` or a vacuum merges them, and every search reads the whole list. Autovacuum vacuums a
table after inserts of ~20 % of its rows, so a town of 300,000 residents would keep a list growing towards 4 MB
(512 pages read by every search) for months. Changed in place (``ALTER INDEX ... SET``), without rebuilding the
index.
"""

import django.contrib.postgres.indexes
from django.db import migrations

NEW = django.contrib.postgres.indexes.GinIndex(
    fields=["search_grams"], name="resident_search_grams_gin", gin_pending_list_limit=256
)


class Migration(migrations.Migration):
    dependencies = [
        ("resident_records", "0009_clerk_tasks"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER INDEX resident_search_grams_gin SET (gin_pending_list_limit = 256)",
                    "ALTER INDEX resident_search_grams_gin RESET (gin_pending_list_limit)",
                ),
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="resident", name="resident_search_grams_gin"),
                migrations.AddIndex(model_name="resident", index=NEW),
            ],
        ),
    ]
