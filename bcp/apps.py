from django.apps import AppConfig


class BcpConfig(AppConfig):
    name = "bcp"
    verbose_name = "業務継続 (BCP)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels

        audit_labels.register({"bcp.view_dashboard": "BCP: ダッシュボードの表示"})
