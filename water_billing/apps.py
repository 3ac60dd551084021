from django.apps import AppConfig


class WaterBillingConfig(AppConfig):
    name = "water_billing"
    verbose_name = "水道料金"
    default_auto_field = "django.db.models.BigAutoField"
