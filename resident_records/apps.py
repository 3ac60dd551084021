from django.apps import AppConfig


class ResidentRecordsConfig(AppConfig):
    name = "resident_records"
    verbose_name = "住民記録 (住民基本台帳)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels, jobs, town_settings
        from common import verification as public_verification
        from resident_records import certificates, disclosure, imports, support, verification
        from resident_records.demo import seed_demo
        from resident_records.models import EventKind
        from tenants.demo import register_demo_seeder

        register_demo_seeder("resident_records", order=10, seed=seed_demo)
        # The public /verify/ page answers for this town's resident certificates (koseki adds its own).
        public_verification.register_source(verification.resident_certificate)
        from common.usage import UsageMetric, register_usage_metric
        from resident_records.selectors import certificates_issued

        register_usage_metric(
            UsageMetric(
                "resident_records.certificates", "住民票の写し等の交付件数", "certificates", certificates_issued
            )
        )

        town_settings.register(*certificates.SETTINGS)

        audit_labels.register({f"resident.{kind.value}": f"住民記録: {kind.label}" for kind in EventKind})
        audit_labels.register({**support.AUDIT_LABELS, **certificates.AUDIT_LABELS, **disclosure.AUDIT_LABELS})
        audit_labels.register(
            {
                "resident.search": "住民記録: 検索",
                "resident.view": "住民記録: 照会",
                "resident.view_history": "住民記録: 履歴照会",
                "resident.reveal_my_number": "住民記録: 個人番号の表示",
                "resident.event_list": "住民記録: 異動一覧",
                "resident.event_export": "住民記録: 異動一覧出力",
                "resident.bulk_load": "住民記録: 一括登録",
                "resident.export": "住民記録: CSV出力",
                "resident.inspection": "住民記録: 一部の写しの閲覧",
                "resident.import_checked": "住民記録: CSV取込の検査",
                "resident.import_rejected": "住民記録: CSV取込の却下",
                "resident.import_report": "住民記録: CSV取込結果の表示",
                "resident.clerk_task": "住民記録: 処理待ちの作成",
                "resident.clerk_task_done": "住民記録: 処理待ちの完了",
                "resident.overdue_notices": "住民記録: 期間経過の届出一覧",
                "certificate.list": "住民記録: 交付履歴の表示",
            }
        )
        jobs.register(imports.IMPORT_JOB, imports.run_import)
