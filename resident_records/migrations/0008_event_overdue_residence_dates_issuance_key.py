"""期間経過 on a 異動 (住基法 第52条 list), 住所を定めた年月日 >= 住民となった年月日 as a database rule, and the
idempotency key of a certificate issuance (docs/domain/resident_register.md §9)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("resident_records", "0007_search_grams"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificateissuance",
            name="idempotency_key",
            field=models.UUIDField(blank=True, null=True, unique=True, verbose_name="二重送信防止キー"),
        ),
        migrations.AddField(
            model_name="changeevent",
            name="overdue",
            field=models.BooleanField(default=False, verbose_name="期間経過"),
        ),
        migrations.AddConstraint(
            model_name="resident",
            constraint=models.CheckConstraint(
                condition=models.Q(("address_set_on__gte", models.F("became_resident_on"))),
                name="address_set_not_before_residence",
            ),
        ),
    ]
