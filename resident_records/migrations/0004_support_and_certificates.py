"""支援措置 (support measures) and the 交付履歴 of certificates, with their database-level guards.

Decisions are never edited (標準仕様書 §1.3.8, §3.4; docs/domain/resident_register.md):
* extensions, temporary releases and the persons covered by a measure or a certificate are append-only;
* a support measure keeps its decision (who, when, whom, what, from when); its end may only move later, a
  仮支援措置 may only become a 支援措置, and a release is final;
* a 交付履歴 row can only be voided, once, with a reason; nothing else of it ever changes.
"""

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

APPEND_ONLY = [
    "resident_records_supportmeasureextension",
    "resident_records_temporaryrelease",
    "resident_records_supportmeasure_accompanying",
    "resident_records_certificateissuance_residents",
]

# Columns a later decision may change; every other column of the row is frozen at insert.
SUPPORT_MUTABLE = ["end_on", "kind", "status", "released_at", "released_by_id", "released_by_name", "release_reason"]
ISSUANCE_MUTABLE = ["voided_at", "voided_by_id", "voided_by_name", "void_reason"]


def _minus(row: str, columns: list[str]) -> str:
    return "(to_jsonb(" + row + ")" + "".join(f" - '{c}'" for c in columns) + ")"


GUARDS = f"""
CREATE OR REPLACE FUNCTION kyodo_support_measure_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'support measures are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status = 'released' THEN
        RAISE EXCEPTION 'a released support measure is final' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF {_minus("NEW", SUPPORT_MUTABLE)} <> {_minus("OLD", SUPPORT_MUTABLE)}
       OR NEW.end_on < OLD.end_on
       OR (NEW.kind <> OLD.kind AND NOT (OLD.kind = 'provisional' AND NEW.kind = 'support')) THEN
        RAISE EXCEPTION 'a support measure decision cannot be edited' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER resident_records_supportmeasure_guard BEFORE UPDATE OR DELETE ON resident_records_supportmeasure
    FOR EACH ROW EXECUTE FUNCTION kyodo_support_measure_guard();

CREATE OR REPLACE FUNCTION kyodo_certificate_issuance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.voided_at IS NOT NULL
       OR {_minus("NEW", ISSUANCE_MUTABLE)} <> {_minus("OLD", ISSUANCE_MUTABLE)} THEN
        RAISE EXCEPTION 'the issuance log only allows voiding once' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER resident_records_certificateissuance_guard BEFORE UPDATE OR DELETE
    ON resident_records_certificateissuance FOR EACH ROW EXECUTE FUNCTION kyodo_certificate_issuance_guard();
"""

# kyodo_history_append_only() comes from migration 0002.
APPEND_ONLY_TRIGGERS = "".join(
    f"""
CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION kyodo_history_append_only();
"""
    for table in APPEND_ONLY
)

NO_TRUNCATE = "".join(
    f"""
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION kyodo_history_append_only();
"""
    for table in [*APPEND_ONLY, "resident_records_supportmeasure", "resident_records_certificateissuance"]
)

BACKWARD = (
    "".join(
        f"DROP TRIGGER IF EXISTS {t}_no_update_delete ON {t}; DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};"
        for t in APPEND_ONLY
    )
    + "DROP TRIGGER IF EXISTS resident_records_supportmeasure_guard ON resident_records_supportmeasure;"
    + "DROP TRIGGER IF EXISTS resident_records_supportmeasure_no_truncate ON resident_records_supportmeasure;"
    + "DROP TRIGGER IF EXISTS resident_records_certificateissuance_guard ON resident_records_certificateissuance;"
    + "DROP TRIGGER IF EXISTS resident_records_certificateissuance_no_truncate "
    "ON resident_records_certificateissuance;"
    + "DROP FUNCTION IF EXISTS kyodo_support_measure_guard(); DROP FUNCTION IF EXISTS kyodo_certificate_issuance_guard();"
)


class Migration(migrations.Migration):
    dependencies = [
        ("resident_records", "0003_search_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CertificateSerial",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveIntegerField(unique=True, verbose_name="年")),
                ("last_number", models.PositiveIntegerField(default=0, verbose_name="最終番号")),
            ],
            options={
                "verbose_name": "発行番号の採番",
                "verbose_name_plural": "発行番号の採番",
            },
        ),
        migrations.CreateModel(
            name="SupportMeasure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("support", "支援措置"), ("provisional", "仮支援措置")],
                        max_length=20,
                        verbose_name="種別",
                    ),
                ),
                (
                    "scopes",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(
                            choices=[
                                ("inspection", "住民基本台帳の一部の写しの閲覧"),
                                ("certificate", "住民票の写し等の交付"),
                                ("removed_certificate", "除票の写し等の交付"),
                                ("attached_record", "戸籍の附票の写しの交付"),
                                ("removed_attached_record", "除附票の写しの交付"),
                            ],
                            max_length=30,
                        ),
                        size=None,
                        verbose_name="対象事務",
                    ),
                ),
                ("start_on", models.DateField(verbose_name="支援開始日")),
                ("end_on", models.DateField(verbose_name="支援終了日")),
                ("perpetrator", models.TextField(blank=True, verbose_name="加害者に関する情報")),
                ("note", models.CharField(blank=True, max_length=500, verbose_name="申出の概要・備考")),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "有効"), ("released", "解除")],
                        default="active",
                        max_length=10,
                        verbose_name="状態",
                    ),
                ),
                ("decided_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="決定日時")),
                ("decided_by_id", models.BigIntegerField(blank=True, null=True, verbose_name="決定者ID")),
                ("decided_by_name", models.CharField(blank=True, max_length=100, verbose_name="決定者")),
                ("released_at", models.DateTimeField(blank=True, null=True, verbose_name="解除日時")),
                ("released_by_id", models.BigIntegerField(blank=True, null=True, verbose_name="解除者ID")),
                ("released_by_name", models.CharField(blank=True, max_length=100, verbose_name="解除者")),
                ("release_reason", models.CharField(blank=True, max_length=500, verbose_name="解除の理由")),
                (
                    "accompanying",
                    models.ManyToManyField(
                        blank=True,
                        related_name="accompanied_support_measures",
                        to="resident_records.resident",
                        verbose_name="併せて支援を求める者",
                    ),
                ),
                (
                    "resident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="support_measures",
                        to="resident_records.resident",
                        verbose_name="支援対象者",
                    ),
                ),
            ],
            options={
                "verbose_name": "支援措置",
                "verbose_name_plural": "支援措置",
                "ordering": ["end_on", "id"],
            },
        ),
        migrations.CreateModel(
            name="SupportMeasureExtension",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("previous_end_on", models.DateField(verbose_name="延長前の終了日")),
                ("new_end_on", models.DateField(verbose_name="延長後の終了日")),
                ("decided_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="決定日時")),
                ("decided_by_id", models.BigIntegerField(blank=True, null=True, verbose_name="決定者ID")),
                ("decided_by_name", models.CharField(blank=True, max_length=100, verbose_name="決定者")),
                (
                    "measure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="extensions",
                        to="resident_records.supportmeasure",
                    ),
                ),
            ],
            options={
                "verbose_name": "支援措置の延長",
                "verbose_name_plural": "支援措置の延長",
                "ordering": ["decided_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="TemporaryRelease",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("released_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="一時解除日時")),
                ("relock_at", models.DateTimeField(verbose_name="再設定日時")),
                ("purpose", models.CharField(max_length=500, verbose_name="一時解除の目的")),
                ("released_by_id", models.BigIntegerField(blank=True, null=True, verbose_name="解除者ID")),
                ("released_by_name", models.CharField(blank=True, max_length=100, verbose_name="解除者")),
                (
                    "measure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="temporary_releases",
                        to="resident_records.supportmeasure",
                    ),
                ),
            ],
            options={
                "verbose_name": "支援措置の一時解除",
                "verbose_name_plural": "支援措置の一時解除",
                "ordering": ["released_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="CertificateIssuance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.CharField(max_length=30, unique=True, verbose_name="発行番号")),
                ("year", models.PositiveIntegerField(verbose_name="発行年")),
                ("serial", models.PositiveIntegerField(verbose_name="連番")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("residence_copy", "住民票の写し"),
                            ("entry_certificate", "住民票記載事項証明書"),
                            ("removed_copy", "除票の写し"),
                        ],
                        max_length=30,
                        verbose_name="証明書の種類",
                    ),
                ),
                ("whole_household", models.BooleanField(default=False, verbose_name="世帯全員")),
                (
                    "include_head_and_relationship",
                    models.BooleanField(default=False, verbose_name="世帯主・続柄を記載"),
                ),
                ("include_domicile", models.BooleanField(default=False, verbose_name="本籍・筆頭者を記載")),
                ("include_resident_code", models.BooleanField(default=False, verbose_name="住民票コードを記載")),
                ("include_my_number", models.BooleanField(default=False, verbose_name="個人番号を記載")),
                ("requested_by", models.CharField(max_length=200, verbose_name="請求者")),
                ("purpose", models.CharField(max_length=200, verbose_name="利用目的")),
                ("issued_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="交付日時")),
                ("issued_by_id", models.BigIntegerField(blank=True, null=True, verbose_name="交付者ID")),
                ("issued_by_name", models.CharField(blank=True, max_length=100, verbose_name="交付者")),
                ("terminal", models.CharField(blank=True, max_length=100, verbose_name="端末")),
                ("page_count", models.PositiveIntegerField(verbose_name="枚数")),
                ("fee", models.PositiveIntegerField(blank=True, null=True, verbose_name="手数料(円)")),
                (
                    "verification_code_sha256",
                    models.CharField(max_length=64, unique=True, verbose_name="確認コード(SHA-256)"),
                ),
                ("pdf_sha256", models.CharField(max_length=64, verbose_name="PDFのSHA-256")),
                ("voided_at", models.DateTimeField(blank=True, null=True, verbose_name="無効日時")),
                ("voided_by_id", models.BigIntegerField(blank=True, null=True, verbose_name="無効処理者ID")),
                ("voided_by_name", models.CharField(blank=True, max_length=100, verbose_name="無効処理者")),
                ("void_reason", models.CharField(blank=True, max_length=500, verbose_name="無効の理由")),
                (
                    "household",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="resident_records.household",
                        verbose_name="世帯",
                    ),
                ),
                (
                    "residents",
                    models.ManyToManyField(
                        related_name="certificate_issuances",
                        to="resident_records.resident",
                        verbose_name="記載された住民",
                    ),
                ),
            ],
            options={
                "verbose_name": "交付履歴",
                "verbose_name_plural": "交付履歴",
                "ordering": ["-issued_at", "-id"],
                "indexes": [models.Index(fields=["issued_at"], name="resident_re_issued__b155cc_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("year", "serial"), name="certificate_serial_unique_per_year"),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("void_reason", ""), ("voided_at__isnull", True)),
                            models.Q(("voided_at__isnull", False), models.Q(("void_reason", ""), _negated=True)),
                            _connector="OR",
                        ),
                        name="certificate_void_has_reason",
                    ),
                ],
            },
        ),
        migrations.AddIndex(
            model_name="supportmeasure",
            index=models.Index(fields=["status", "end_on"], name="resident_re_status_8288de_idx"),
        ),
        migrations.AddConstraint(
            model_name="supportmeasure",
            constraint=models.CheckConstraint(
                condition=models.Q(("end_on__gte", models.F("start_on"))), name="support_period_ordered"
            ),
        ),
        migrations.AddConstraint(
            model_name="supportmeasure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("released_at__isnull", True), ("status", "active")),
                    models.Q(("released_at__isnull", False), ("status", "released")),
                    _connector="OR",
                ),
                name="support_release_consistent",
            ),
        ),
        migrations.AddIndex(
            model_name="temporaryrelease",
            index=models.Index(fields=["measure", "relock_at"], name="resident_re_measure_0c97e4_idx"),
        ),
        migrations.AddConstraint(
            model_name="temporaryrelease",
            constraint=models.CheckConstraint(
                condition=models.Q(("relock_at__gt", models.F("released_at"))), name="relock_after_release"
            ),
        ),
        migrations.RunSQL(GUARDS + APPEND_ONLY_TRIGGERS + NO_TRUNCATE, BACKWARD),
    ]
