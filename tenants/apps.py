from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TenantsConfig(AppConfig):
    default = True
    name = "tenants"
    verbose_name = "自治体・職員ID"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common import audit

        # The host cache's drops, the "kyodo" migration executor, the audit hooks.
        from tenants import hosts, migration_executor, signals  # noqa: F401
        from tenants.anchors import AuditAnchorStore

        audit.register_anchor_store(AuditAnchorStore())


class KyodoAdminConfig(admin_apps.AdminConfig):
    """Django's admin with Kyodo's site: role- and 2FA-gated, audited (tenants.admin_site)."""

    default = False
    default_site = "tenants.admin_site.KyodoAdminSite"
