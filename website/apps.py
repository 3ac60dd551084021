from django.apps import AppConfig


class WebsiteConfig(AppConfig):
    name = "website"
    verbose_name = "ホームページ管理"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels
        from tenants.demo import register_demo_seeder
        from website.demo import seed_demo
        from website.services import AUDIT_LABELS

        audit_labels.register(AUDIT_LABELS)
        register_demo_seeder("website", order=40, seed=seed_demo)
