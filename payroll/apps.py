from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "payroll"
    verbose_name = "人事給与"
    default_auto_field = "django.db.models.BigAutoField"
