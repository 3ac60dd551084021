"""Input and output of the BCP API: the restore-drill evidence that auditors export (docs/bcp.md §4)."""

from __future__ import annotations

from rest_framework import serializers

from bcp.models import RestoreDrill


class DrillOut(serializers.ModelSerializer):
    site = serializers.CharField(source="site.name")
    site_role = serializers.CharField(source="site.role")
    status_label = serializers.CharField(source="get_status_display")
    kind_label = serializers.CharField(source="get_kind_display")
    backup_id = serializers.IntegerField(allow_null=True)
    rpo_target_seconds = serializers.SerializerMethodField()
    rto_target_seconds = serializers.SerializerMethodField()
    error_code = serializers.SerializerMethodField()

    class Meta:
        model = RestoreDrill
        fields = [
            "id", "schema_name", "site", "site_role", "kind", "kind_label", "status", "status_label", "started_at",
            "finished_at", "backup_id", "backup_snapshot_at", "achieved_rpo_seconds", "rpo_target_seconds",
            "restore_seconds", "rto_target_seconds", "tables_checked", "rows_checked", "differences", "progress",
            "triggered_by", "target", "error", "error_code",
        ]  # fmt: skip

    def get_rpo_target_seconds(self, drill: RestoreDrill) -> int:
        return drill.site.rpo_target_minutes * 60

    def get_rto_target_seconds(self, drill: RestoreDrill) -> int:
        return drill.site.rto_target_minutes * 60

    def get_error_code(self, drill: RestoreDrill) -> str | None:
        code = (drill.report or {}).get("error_code")
        return str(code) if code else None
