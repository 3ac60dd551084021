"""The audit trail in the admin: this town's trail (the council host shows the council's own schema trail).

Registered here, by the platform layer, because the read-only town admin is tenants' (common imports no app).
"""

from django.contrib import admin

from common.models import AuditEvent
from tenants.admin_site import ReadOnlyTownAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyTownAdmin):
    """This town's audit trail (the council host shows the council's own schema trail)."""

    list_display = [
        "seq",
        "occurred_at",
        "actor_username",
        "role",
        "action",
        "object_repr",
        "purpose",
        "client_ip",
    ]
    list_filter = ["action", "personal_data", "channel"]
    search_fields = ["actor_username", "action", "object_id", "request_id"]
    date_hierarchy = "occurred_at"
    ordering = ["-seq"]
