from django.apps import AppConfig


class WaterBillingConfig(AppConfig):
    name = "water_billing"
    verbose_name = "水道料金"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import jobs, town_settings
        from common.ledger import register_ledger
        from tenants.demo import register_demo_seeder
        from water_billing import demo, settings_keys
        from water_billing.models import LedgerLine
        from water_billing.services import runs

        register_ledger(LedgerLine)
        town_settings.register(*settings_keys.SPECS)
        jobs.register(runs.JOB_KIND, runs.run_job)
        register_demo_seeder("water_billing", order=50, seed=demo.seed)
