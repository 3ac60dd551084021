import importlib

from django.apps import AppConfig

# Modules of this app that name audit actions: each defines AUDIT_LABELS = {"groupware.x": "グループウェア: …"}.
LABELLED_MODULES = (
    "groupware.services.bulletin",
    "groupware.services.cabinet",
    "groupware.services.schedule",
    "groupware.services.facilities",
    "groupware.services.workflow",
)


class GroupwareConfig(AppConfig):
    name = "groupware"
    verbose_name = "グループウェア"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels

        for name in LABELLED_MODULES:
            audit_labels.register(getattr(importlib.import_module(name), "AUDIT_LABELS", {}))
        from groupware.demo import seed_demo
        from tenants.demo import register_demo_seeder

        register_demo_seeder("groupware", order=50, seed=seed_demo)
