from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "payroll"
    verbose_name = "人事給与"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels, jobs
        from payroll import parameters  # noqa: F401 - registers the town settings
        from payroll.audit_actions import LABELS
        from payroll.demo import seed_demo
        from payroll.services import runs
        from tenants.demo import register_demo_seeder

        audit_labels.register(LABELS)
        jobs.register(runs.CALCULATE_JOB, runs.run_calculation_job)
        register_demo_seeder("payroll", order=40, seed=seed_demo)
