"""The n-gram search key (docs/performance.md; resident_records.search, docs/search.md).

``search_grams`` holds the 1- and 2-character grams of each resident's normalised name, furigana and address,
under a GIN index of core PostgreSQL (``array_ops``): one- and two-character queries (a single kanji such as 美,
a 2-kana fragment) and partial names and addresses are served by an index on every server, the embedded one
without pg_trgm included. Existing residents get their grams here, computed by the same function as the services.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

BATCH = 2000


def fill_grams(apps, schema_editor):  # type: ignore[no-untyped-def]
    from resident_records.search import index_grams

    Resident = apps.get_model("resident_records", "Resident")
    rows = Resident.objects.order_by("pk").values_list("pk", "search_name", "search_kana", "address")
    batch = []
    for pk, name, kana, address in rows.iterator(chunk_size=BATCH):
        batch.append(Resident(pk=pk, search_grams=index_grams(search_name=name, search_kana=kana, address=address)))
        if len(batch) == BATCH:
            Resident.objects.bulk_update(batch, ["search_grams"])
            batch = []
    if batch:
        Resident.objects.bulk_update(batch, ["search_grams"])


class Migration(migrations.Migration):
    dependencies = [("resident_records", "0006_support_measure_public_id")]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="search_grams",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.TextField(), default=list, editable=False, size=None
            ),
        ),
        migrations.RunPython(fill_grams, migrations.RunPython.noop),
        # A larger sample of the most common grams: with the default target PostgreSQL guesses a 3-gram name
        # matches 3 rows where it matches 3,000, and skips combining the GIN index with the birth-date index.
        migrations.RunSQL(
            "ALTER TABLE resident_records_resident ALTER COLUMN search_grams SET STATISTICS 1000",
            "ALTER TABLE resident_records_resident ALTER COLUMN search_grams SET STATISTICS -1",
        ),
        migrations.AddIndex(
            model_name="resident",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_grams"], name="resident_search_grams_gin"),
        ),
    ]
