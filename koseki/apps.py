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
        from common import audit_labels, town_settings
        from common import verification as public_verification
        from koseki import certificates, deadlines, fuhyo, verification
        from koseki.demo import seed_demo
        from resident_records import fuhyo_notices
        from tenants.demo import register_demo_seeder

        # The 附票 follows the resident register's 異動 (住基法 第19条第1項); resident_records calls, koseki keeps.
        fuhyo_notices.register_keeper(fuhyo)
        # The public /verify/ page also answers for this town's 戸籍証明書.
        public_verification.register_source(verification.koseki_certificate)
        register_demo_seeder("koseki", order=20, seed=seed_demo)
        from common.usage import UsageMetric, register_usage_metric
        from koseki.selectors import certificates_issued

        register_usage_metric(
            UsageMetric("koseki.certificates", "戸籍証明書の交付件数", "certificates", certificates_issued)
        )
        from koseki.models import NotificationKind

        town_settings.register(*certificates.SETTINGS, *deadlines.SETTINGS)

        audit_labels.register({f"koseki.{kind.value}": f"戸籍: {kind.label}" for kind in NotificationKind})
        for name in LABELLED_MODULES:
            if importlib.util.find_spec(name) is not None:
                audit_labels.register(getattr(importlib.import_module(name), "AUDIT_LABELS", {}))
