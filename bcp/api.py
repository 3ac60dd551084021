"""REST views of the BCP module: restore-drill evidence for auditors and IT staff, JSON or CSV.

The drills live in the public schema; which of them a request sees depends on the host (bcp.drills.
drills_visible_to): a town host shows that town's drills only, the council host every drill (towns and the
public schema). Every list and export is audited in the trail of the host's schema.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from bcp import drills
from bcp.filters import DrillFilter
from bcp.models import RestoreDrill
from bcp.serializers import DrillOut
from common.filters import filters_for
from common.rest import CSVStreamRenderer, stream_csv
from tenants.access import person_of

MODULE = "bcp"
TOKYO = ZoneInfo("Asia/Tokyo")

AUDIT_LABELS = {
    "bcp.drill_list": "BCP: 復元訓練の記録の閲覧",
    "bcp.drill_export": "BCP: 復元訓練の記録の出力",
}

CSV_HEADER = [
    "id", "schema_name", "site", "kind", "status", "started_at", "finished_at", "backup_id", "backup_snapshot_at",
    "achieved_rpo_seconds", "rpo_target_seconds", "restore_seconds", "rto_target_seconds", "tables_checked",
    "rows_checked", "differences_count", "differences", "triggered_by", "target", "error",
]  # fmt: skip


def _local(value: Any) -> str:
    return value.astimezone(TOKYO).isoformat() if value else ""


def _csv_row(drill: RestoreDrill) -> list[Any]:
    return [
        drill.pk, drill.schema_name, drill.site.name, drill.kind, drill.status, _local(drill.started_at),
        _local(drill.finished_at), drill.backup_id or "", _local(drill.backup_snapshot_at),
        "" if drill.achieved_rpo_seconds is None else round(drill.achieved_rpo_seconds, 1),
        drill.site.rpo_target_minutes * 60,
        "" if drill.restore_seconds is None else round(drill.restore_seconds, 3),
        drill.site.rto_target_minutes * 60, drill.tables_checked, drill.rows_checked, len(drill.differences or []),
        "; ".join(f"{d.get('table')}:{d.get('problem')}" for d in drill.differences or []), drill.triggered_by,
        drill.target, drill.error,
    ]  # fmt: skip


class DrillListView(GenericAPIView):
    """復元訓練の記録 (evidence of restore drills and restores), paginated JSON or streamed CSV."""

    kyodo_module = MODULE
    serializer_class = DrillOut
    filterset_class = DrillFilter
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[RestoreDrill]:
        return RestoreDrill.objects.none()  # for the schema; the list is drills.read_drills (the request's town)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
        responses=DrillOut(many=True),
        summary="復元訓練の記録 / Restore drills: site, backup time, achieved RPO, RTO, result and differences",
        description=(
            "復元訓練・復元の記録(サイト、バックアップ時刻、RPO・RTO の実績、結果、差分)。ページ分割した JSON、"
            "または ?format=csv で CSV。\n\n"
            "Evidence of restore drills and restores, as paginated JSON or a streamed CSV (?format=csv)."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        filters = filters_for(self, request)
        export = request.accepted_renderer.format == "csv"
        rows = drills.read_drills(
            actor=person_of(request._request),
            municipality=request._request.tenant,  # type: ignore[attr-defined]
            filters=filters,
            export=export,
        )
        if export:
            return stream_csv("restore-drills.csv", CSV_HEADER, rows.iterator(chunk_size=500), _csv_row)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DrillOut(page, many=True).data)
