"""Opaque ids for URLs (docs/audit.md): registers, members and entries are no longer named by row id.

Existing rows get a random UUID each (gen_random_uuid(), PostgreSQL 13+) before the column becomes unique
and NOT NULL; new rows get one from the model default.
"""

import uuid

from django.db import migrations, models

TABLES = {"koseki": "koseki_koseki", "member": "koseki_member", "entry": "koseki_entry"}


def _steps(model_name: str, table: str) -> list[migrations.operations.base.Operation]:
    return [
        migrations.AddField(
            model_name=model_name,
            name="public_id",
            field=models.UUIDField(null=True, editable=False, verbose_name="公開用ID"),
        ),
        migrations.RunSQL(
            f"UPDATE {table} SET public_id = gen_random_uuid() WHERE public_id IS NULL",  # noqa: S608 (constant names)
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name=model_name,
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="公開用ID"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("koseki", "0004_fuhyo_line_resident_link"),
    ]

    operations = [step for model_name, table in TABLES.items() for step in _steps(model_name, table)]
