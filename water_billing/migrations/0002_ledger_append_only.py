"""The enterprise's books refuse UPDATE, DELETE and TRUNCATE (docs/ledgers.md)."""

from django.db import migrations

from common.ledger import append_only_sql

FORWARD, REVERSE = append_only_sql("water_billing_ledgerline")


class Migration(migrations.Migration):
    dependencies = [("water_billing", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
