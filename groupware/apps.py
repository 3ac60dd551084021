from django.apps import AppConfig


class GroupwareConfig(AppConfig):
    name = "groupware"
    verbose_name = "グループウェア"
    default_auto_field = "django.db.models.BigAutoField"
