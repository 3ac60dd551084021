"""The audit-trail API (auditors): this town's trail, or the council's on the council host. Part of the platform
layer (it reads the requesting municipality), so it lives in tenants: common imports no app.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from django_tenants.utils import get_public_schema_name, schema_context
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from common import selectors
from common.errors import PermissionDenied
from common.filters import AuditEventFilter, filters_for
from common.models import AuditEvent
from common.rest import CSVStreamRenderer, stream_csv
from common.serializers import AUDIT_CSV_HEADER, AuditEventOut, audit_csv_row
from common.tenancy import current_schema
from tenants.models import Municipality


class AuditEventListView(GenericAPIView):
    """The audit trail of this town (auditors), as paginated JSON or a streamed CSV (?format=csv)."""

    kyodo_module = "audit"
    serializer_class = AuditEventOut
    filterset_class = AuditEventFilter
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.none()  # for the schema; the list is selectors.read_audit_events

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"])],
        responses=AuditEventOut(many=True),
        summary="監査ログ (期間・操作者・操作で絞り込み、CSV出力) / Audit events (filter by period, actor, action)",
        description=(
            "この町の監査ログ(監査担当)。ページ分割した JSON、または ?format=csv で CSV を出力します。\n\n"
            "The audit trail of this town (auditors), as paginated JSON or a streamed CSV (?format=csv)."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        filters = filters_for(self, request)
        trail = filters.validated().get("trail", "town")
        tenant: Municipality = request._request.tenant  # type: ignore[attr-defined]
        schema = current_schema()
        if trail == "council":
            if tenant.kind != Municipality.Kind.COUNCIL:
                raise PermissionDenied("協議会の監査ログは協議会のアドレスからのみ参照できます。")
            schema = get_public_schema_name()
        export = request.accepted_renderer.format == "csv"
        events = selectors.read_audit_events(actor=request.user, filters=filters, export=export, trail=trail)
        if export:
            filename = f"audit-{tenant.schema_name}-{trail}.csv"

            def rows() -> Any:
                with schema_context(schema):
                    yield from events.iterator(chunk_size=2000)

            return stream_csv(filename, AUDIT_CSV_HEADER, rows(), audit_csv_row)
        with schema_context(schema):
            page = self.paginate_queryset(events)
            data = AuditEventOut(page, many=True).data
        return self.get_paginated_response(data)
