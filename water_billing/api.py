"""REST for auditors: connections, readings, bills, payments, arrears and the ledger, as paginated JSON or a
streamed CSV (?format=csv). Reads of customers' data need a 利用目的 (``purpose``) and are audited
(water_billing.selectors.export_rows)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from common.dates import local_today
from common.errors import PermissionDenied, ValidationFailed
from common.rest import CSVStreamRenderer, stream_csv
from tenants.access import person_of, request_roles
from tenants.models import Role
from water_billing.selectors import EXPORTS, export_rows

MODULE = "water_billing"


class RowOut(serializers.Serializer):
    """One row: the resource's columns (see the description of each endpoint)."""

    row = serializers.DictField(help_text="列名と値")


class ExportView(GenericAPIView):
    kyodo_module = MODULE
    filter_backends = []
    renderer_classes = [JSONRenderer, CSVStreamRenderer]
    serializer_class = RowOut
    resource = ""

    def get(self, request: Request) -> HttpResponseBase:
        if not {Role.WATER_CLERK, Role.AUDITOR} & request_roles(request._request):
            raise PermissionDenied("この一覧は水道料金担当と監査担当だけが利用できます(検針員は検針の画面のみ)。")
        _label, columns, personal = EXPORTS[self.resource]
        purpose = " ".join(str(request.query_params.get("purpose", "")).split())
        if personal and not purpose:
            raise ValidationFailed("利用目的(purpose)を指定してください(監査記録に残ります)。")
        rows = export_rows(
            actor=person_of(request._request), purpose=purpose or "監査", resource=self.resource, today=local_today()
        )
        if request.accepted_renderer.format == "csv":
            return stream_csv(
                f"water-{self.resource}.csv", columns, rows.iterator(chunk_size=2000), lambda r: [r[c] for c in columns]
            )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([{k: _plain(v) for k, v in row.items()} for row in page or []])


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


ENGLISH = {
    "connections": "water connections",
    "readings": "meter readings",
    "bills": "bills",
    "payments": "payments",
    "arrears": "arrears",
    "ledger": "ledger lines",
}


def _view(resource: str) -> type[ExportView]:
    label, columns, personal = EXPORTS[resource]
    summary = f"水道料金: {label}の一覧 / List of {ENGLISH[resource]} (JSON or CSV)"
    description = (
        f"列 / columns: {', '.join(columns)}。"
        + ("個人情報を含むため purpose(利用目的)が必須で、監査記録に残ります。" if personal else "")
        + " Paginated JSON, or the whole list as a streamed CSV with ?format=csv."
    )
    params = [OpenApiParameter("format", str, enum=["json", "csv"])]
    if personal:
        params.append(OpenApiParameter("purpose", str, required=True, description="利用目的 / purpose of use"))
    decorated = extend_schema(parameters=params, responses=RowOut(many=True), summary=summary, description=description)

    # A function of its own per endpoint: extend_schema marks the function it decorates, and a shared one would
    # carry the last endpoint's schema for all of them.
    def get(self: ExportView, request: Request) -> HttpResponseBase:
        return ExportView.get(self, request)

    return type(f"Water{resource.title()}View", (ExportView,), {"resource": resource, "get": decorated(get)})


ConnectionsView = _view("connections")
ReadingsView = _view("readings")
BillsView = _view("bills")
PaymentsView = _view("payments")
ArrearsView = _view("arrears")
LedgerView = _view("ledger")
