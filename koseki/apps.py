import importlib
import importlib.util

from django.apps import AppConfig

# Modules of this app that name audit actions: each defines AUDIT_LABELS = {"koseki.x": "戸籍: …"}.
LABELLED_MODULES = (
    "koseki.services",
    "koseki.certificates",
    "koseki.wide_area",
    "koseki.fuhyo",
    "koseki.importer",
    "koseki.selectors",
)


class KosekiConfig(AppConfig):
    name = "koseki"
    verbose_name = "戸籍"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit_labels
        from koseki.demo import seed_demo
        from tenants.demo import register_demo_seeder

        register_demo_seeder("koseki", order=20, seed=seed_demo)
        from koseki.models import NotificationKind

        audit_labels.register({f"koseki.{kind.value}": f"戸籍: {kind.label}" for kind in NotificationKind})
        for name in LABELLED_MODULES:
            if importlib.util.find_spec(name) is not None:
                audit_labels.register(getattr(importlib.import_module(name), "AUDIT_LABELS", {}))
