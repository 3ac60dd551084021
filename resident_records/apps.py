from django.apps import AppConfig


class ResidentRecordsConfig(AppConfig):
    name = "resident_records"
    verbose_name = "住民記録 (住民基本台帳)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels
        from resident_records import certificates, support
        from resident_records.models import EventKind

        audit_labels.register({f"resident.{kind.value}": f"住民記録: {kind.label}" for kind in EventKind})
        audit_labels.register({**support.AUDIT_LABELS, **certificates.AUDIT_LABELS})
