"""The 支援措置責任者 role (support-measure officer), who alone may release a support-measure block."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0002_auditanchor"),
    ]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("clerk", "事務職員"),
                    ("teacher", "教員"),
                    ("it_admin", "情報システム担当"),
                    ("auditor", "監査担当"),
                    ("vendor", "保守事業者"),
                    ("council_staff", "協議会事務局"),
                    ("support_officer", "支援措置責任者"),
                ],
                max_length=20,
                verbose_name="役割",
            ),
        ),
    ]
