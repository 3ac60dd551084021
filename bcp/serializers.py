"""Input and output of the BCP API: the restore-drill evidence that auditors export (docs/bcp.md §4)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from bcp.models import DrillStatus, RestoreDrill


class DrillQuery(serializers.Serializer):
    schema = serializers.CharField(required=False, max_length=63, help_text="Schema drilled, e.g. nakatosa")
    site = serializers.CharField(required=False, max_length=50, help_text="BackupSite name")
    status = serializers.ChoiceField(choices=DrillStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=[("drill", "復元訓練"), ("restore", "復元")], required=False)
    since = serializers.DateField(required=False, help_text="Started on or after this day (YYYY-MM-DD, JST)")
    until = serializers.DateField(required=False, help_text="Started on or before this day (YYYY-MM-DD, JST)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": "終了日が開始日より前になっています。"})
        return attrs


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
