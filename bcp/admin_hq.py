"""Council admin of the HQ registries (docs/domain/disaster-hq.md): the checklist template set, shelters, river
cameras and the duty roster. Council host, 情報システム担当; every change is audited by the admin site. A camera's
device token is never edited here: it is rotated on the camera's page (bcp.cameras.rotate_token)."""

from __future__ import annotations

from django.contrib import admin

from bcp.hq_models import DutyAssignment, HqChecklistTemplate, RiverCamera, Shelter
from tenants.admin_site import CouncilModelAdmin


@admin.register(HqChecklistTemplate)
class HqChecklistTemplateAdmin(CouncilModelAdmin):
    list_display = ["kind", "position", "title", "owner", "due_minutes", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Shelter)
class ShelterAdmin(CouncilModelAdmin):
    list_display = ["municipality", "name", "capacity", "occupancy", "is_open"]
    list_filter = ["municipality", "is_open"]
    fields = ["municipality", "name", "address", "capacity"]


@admin.register(RiverCamera)
class RiverCameraAdmin(CouncilModelAdmin):
    list_display = ["municipality", "river", "name", "code", "state", "publish_latest", "is_active"]
    list_filter = ["municipality", "state", "is_active"]
    fields = ["municipality", "code", "name", "river", "location", "caution_cm", "warning_cm", "danger_cm", "is_active"]


@admin.register(DutyAssignment)
class DutyAssignmentAdmin(CouncilModelAdmin):
    list_display = ["municipality", "person", "starts_at", "ends_at"]
    list_filter = ["municipality"]
    raw_id_fields = ["person"]
