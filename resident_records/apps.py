from django.apps import AppConfig


class ResidentRecordsConfig(AppConfig):
    name = "resident_records"
    verbose_name = "住民記録 (住民基本台帳)"
    default_auto_field = "django.db.models.BigAutoField"
