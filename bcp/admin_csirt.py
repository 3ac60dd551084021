"""Admin views of the CSIRT register, the policy documents and disaster mode: read-only, council host only.

Every change goes through the BCP pages (bcp.views), which call the services in bcp.csirt and bcp.disaster and
audit each write. The admin lets the council's IT staff search and inspect the rows; it never edits them: an
incident's timeline is append-only and an approved policy version is immutable.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from bcp.models import Disaster, EmergencyGrant, Incident, IncidentEvent, PolicyDocument
from tenants.admin_site import CouncilInline, CouncilModelAdmin, council_admin_allowed


class ReadOnlyCouncilAdmin(CouncilModelAdmin):
    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        # Django looks the object up before checking permission and answers a missing id with a redirect to
        # the index; on a town host the answer must be the refusal, whatever the id.
        if not council_admin_allowed(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IncidentEventInline(CouncilInline):
    model = IncidentEvent
    extra = 0
    fields = ["occurred_at", "kind", "description", "actor", "recorded_at"]
    readonly_fields = ["occurred_at", "kind", "description", "actor", "recorded_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
