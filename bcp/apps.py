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
        from bcp.hq_demo import seed_demo as seed_hq_demo
        from bcp.public import disaster_notices, published_camera_images
        from common import audit_labels, public_site
        from tenants import hooks
        from tenants.demo import register_demo_seeder

        # Disaster mode: an emergency member's use of a town is recorded once the access pipeline lets it in.
        hooks.on_access_granted(record_emergency_use)
        # The towns' public websites show a declared disaster and the published camera images.
        public_site.register_notice_source(disaster_notices)
        public_site.register_image_source(published_camera_images)
        register_demo_seeder("bcp_hq", order=30, seed=seed_hq_demo)

        for name in LABELLED_MODULES:
            if importlib.util.find_spec(name) is not None:
                audit_labels.register(getattr(importlib.import_module(name), "AUDIT_LABELS", {}))
