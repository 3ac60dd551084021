from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = "財務会計"
    default_auto_field = "django.db.models.BigAutoField"
