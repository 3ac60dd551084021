import importlib
import importlib.util

from django.apps import AppConfig

# Modules of this app that name audit actions: each defines AUDIT_LABELS = {"bcp.x": "BCP: …"}.
LABELLED_MODULES = (
    "bcp.backup",
    "bcp.sites",
    "bcp.restore",
    "bcp.drills",
    "bcp.standby",
    "bcp.disaster",
    "bcp.csirt",
    "bcp.hq",
    "bcp.cameras",
    "bcp.views",
    "bcp.api",
)


class BcpConfig(AppConfig):
    name = "bcp"
    verbose_name = "業務継続 (BCP)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from bcp import checks  # noqa: F401  (registers the deployment checks)
        from bcp.disaster import record_emergency_use
        from common import audit_labels
        from tenants import hooks

        # Disaster mode: an emergency member's use of a town is recorded once the access pipeline lets it in.
        hooks.on_access_granted(record_emergency_use)

        for name in LABELLED_MODULES:
            if importlib.util.find_spec(name) is not None:
                audit_labels.register(getattr(importlib.import_module(name), "AUDIT_LABELS", {}))
