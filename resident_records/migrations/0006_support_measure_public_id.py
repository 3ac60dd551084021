"""An opaque id for URLs of a 支援措置 (docs/audit.md): a row id would let anyone count and walk the measures.

Existing rows get a random UUID each (gen_random_uuid(), PostgreSQL 13+) before the column becomes unique and
NOT NULL; new rows get one from the model default.
"""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("resident_records", "0005_certificate_requester_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="supportmeasure",
            name="public_id",
            field=models.UUIDField(null=True, editable=False, verbose_name="公開用ID"),
        ),
        migrations.RunSQL(
            "UPDATE resident_records_supportmeasure SET public_id = gen_random_uuid() WHERE public_id IS NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="supportmeasure",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="公開用ID"),
        ),
    ]
