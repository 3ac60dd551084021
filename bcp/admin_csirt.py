"""Admin views of the CSIRT register, the policy documents and disaster mode: read-only, council host only.

Every change goes through the BCP pages (bcp.views), which call the services in bcp.csirt and bcp.disaster and
audit each write. The admin lets the council's IT staff search and inspect the rows; it never edits them: an
incident's timeline is append-only and an approved policy version is immutable.
"""

from __future__ import annotations

from django.contrib import admin

from bcp.models import Disaster, EmergencyGrant, Incident, IncidentEvent, PolicyDocument
from tenants.admin_site import ReadOnlyCouncilAdmin, ReadOnlyCouncilInline


class IncidentEventInline(ReadOnlyCouncilInline):
    model = IncidentEvent
    extra = 0
    fields = ["occurred_at", "kind", "description", "actor", "recorded_at"]
    readonly_fields = ["occurred_at", "kind", "description", "actor", "recorded_at"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyCouncilAdmin):
    list_display = ["number", "title", "severity", "status", "detected_at", "closed_at"]
    list_filter = ["severity", "status"]
    search_fields = ["number", "title", "summary"]
    inlines = [IncidentEventInline]


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(ReadOnlyCouncilAdmin):
    list_display = ["kind", "version", "title", "effective_on", "approved_at", "sha256"]
    list_filter = ["kind"]
    search_fields = ["title", "body", "change_summary"]


@admin.register(Disaster)
class DisasterAdmin(ReadOnlyCouncilAdmin):
    list_display = ["municipality", "title", "declared_at", "ended_at"]
    list_filter = ["municipality"]


@admin.register(EmergencyGrant)
class EmergencyGrantAdmin(ReadOnlyCouncilAdmin):
    list_display = ["membership", "disaster", "granted_at", "expires_at", "revoked_at", "first_used_at"]
    list_select_related = ["membership__person", "membership__municipality", "disaster__municipality"]
