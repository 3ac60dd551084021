from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "共通 (監査ログ)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import checks, signals  # noqa: F401  (register system checks and Celery hooks)
