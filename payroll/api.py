"""REST for auditors (docs/domain/payroll.md §8): runs with their totals, and a run's payslip lines as JSON or
streamed CSV (every read of lines audited with its purpose)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.rest import CSVStreamRenderer, stream_csv
from payroll import selectors
from payroll.models import PayRun, PayslipLine
from payroll.serializers import (
    LINE_FIELDS,
    REPORT_FIELDS,
    AnnualStatementOut,
    PayRunOut,
    PayslipLineOut,
    PurposeQuery,
)
from tenants.access import person_of

MODULE = "payroll"


class RunListView(GenericAPIView):
    """給与計算の一覧と合計 / Pay runs with their totals."""

    kyodo_module = MODULE
    serializer_class = PayRunOut
    renderer_classes = [JSONRenderer]

    def get_queryset(self) -> QuerySet[PayRun]:
        return selectors.list_runs()

    @extend_schema(responses=PayRunOut(many=True), summary="給与計算の一覧 / Pay runs")
    def get(self, request: Request) -> HttpResponseBase:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PayRunOut(page, many=True).data)


class RunLinesView(GenericAPIView):
    """給与計算の明細行 (JSON・ページ単位、または ?format=csv)。利用目的つきで監査記録に残ります /
    A run's payslip lines,
    audited with the purpose."""

    kyodo_module = MODULE
    serializer_class = PayslipLineOut
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[PayslipLine]:
        return PayslipLine.objects.none()

    @extend_schema(
        parameters=[PurposeQuery, OpenApiParameter("format", str, enum=["json", "csv"])],
        responses=PayslipLineOut(many=True),
        summary="給与明細の項目 / Payslip lines of a run",
    )
    def get(self, request: Request, public_id: Any) -> HttpResponseBase:
        query = PurposeQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        run = selectors.get_run(public_id=public_id)
        rows = selectors.run_lines(actor=person_of(request._request), run=run, purpose=query.validated_data["purpose"])
        if request.accepted_renderer.format == "csv":

            def row(line: PayslipLine) -> list[Any]:
                slip = line.payslip
                return [slip.staff_number, slip.unit_code, slip.unit_name, line.get_kind_display(), line.code,
                        line.label, line.amount, line.setsu, line.note]  # fmt: skip

            return stream_csv(f"payroll-{run.pay_month:%Y%m}-{run.kind}.csv", LINE_FIELDS, rows.iterator(2000), row)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(PayslipLineOut(page, many=True).data)


class PaymentReportView(GenericAPIView):
    """給与支払報告書 data of a year (per staff member: 支払金額, 社会保険料等, 源泉徴収税額, 住所地の市町村),
    JSON or ``?format=csv``, audited with the purpose."""

    kyodo_module = MODULE
    serializer_class = AnnualStatementOut
    renderer_classes = [JSONRenderer, CSVStreamRenderer]
    pagination_class = None

    def get_queryset(self) -> QuerySet[PayRun]:
        return PayRun.objects.none()

    @extend_schema(
        parameters=[PurposeQuery, OpenApiParameter("format", str, enum=["json", "csv"])],
        responses=AnnualStatementOut(many=True),
        summary="給与支払報告書データ / Annual payment report data",
    )
    def get(self, request: Request, year: int) -> HttpResponseBase:
        query = PurposeQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        rows = selectors.payroll_report(
            actor=person_of(request._request), year=year, purpose=query.validated_data["purpose"]
        )
        if request.accepted_renderer.format == "csv":

            def row(s: Any) -> list[Any]:
                return [s.staff_number, s.city_code, s.paid, s.social, s.tax, s.dependents]

            return stream_csv(f"payroll-report-{year}.csv", REPORT_FIELDS, iter(rows), row)
        return Response(AnnualStatementOut(rows, many=True).data)
