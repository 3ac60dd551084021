from django.apps import AppConfig


class KosekiConfig(AppConfig):
    name = "koseki"
    verbose_name = "戸籍"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels
        from koseki.models import NotificationKind

        audit_labels.register({f"koseki.{kind.value}": f"戸籍: {kind.label}" for kind in NotificationKind})
        audit_labels.register(
            {
                "koseki.search": "戸籍: 検索",
                "koseki.view": "戸籍: 照会",
            }
        )
