"""REST for auditors: a year's 年末調整 results (docs/domain/payroll.md §13.10), JSON or streamed CSV, every read
audited with its purpose."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.rest import CSVStreamRenderer, stream_csv
from payroll import year_end_selectors as selectors
from payroll.serializers import PurposeQuery
from payroll.year_end_models import YearEndResult
from tenants.access import person_of

AMOUNTS = ["pay", "withheld", "employment_income", "income_adjustment", "social", "life_insurance",
           "earthquake_insurance", "spouse", "dependants", "personal", "basic", "deductions", "taxable",
           "computed_tax", "housing_credit", "income_tax", "annual_tax", "difference"]  # fmt: skip
CSV_FIELDS = [
    "職員番号",
    "対象",
    "対象外の理由",
    *[str(getattr(YearEndResult._meta.get_field(n), "verbose_name", n)) for n in AMOUNTS],
]


class YearEndResultOut(serializers.ModelSerializer):
    class Meta:
        model = YearEndResult
        fields = ["staff_number", "adjusted", "excluded_reason", *AMOUNTS]


class YearEndResultsView(GenericAPIView):
    """年末調整の結果 (年分ごと、JSON または ?format=csv)。利用目的つきで監査記録に残ります /
    A year's year-end adjustment results, audited with the purpose."""

    kyodo_module = "payroll"
    serializer_class = YearEndResultOut
    renderer_classes = [JSONRenderer, CSVStreamRenderer]
    pagination_class = None

    def get_queryset(self) -> QuerySet[YearEndResult]:
        return YearEndResult.objects.none()

    @extend_schema(
        parameters=[PurposeQuery, OpenApiParameter("format", str, enum=["json", "csv"])],
        responses=YearEndResultOut(many=True),
        summary="年末調整の結果 / Year-end adjustment results",
    )
    def get(self, request: Request, year: int) -> HttpResponseBase:
        query = PurposeQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        _, results = selectors.view_year_end_results(
            actor=person_of(request._request), year=year, purpose=query.validated_data["purpose"]
        )
        if request.accepted_renderer.format == "csv":

            def row(r: YearEndResult) -> list[Any]:
                return [r.staff_number, "対象" if r.adjusted else "対象外", r.excluded_reason,
                        *[getattr(r, n) for n in AMOUNTS]]  # fmt: skip

            return stream_csv(f"payroll-year-end-{year}.csv", CSV_FIELDS, iter(results), row)
        return Response(YearEndResultOut(results, many=True).data)
