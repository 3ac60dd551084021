"""REST for auditors (監査): budgets, commitments, payments, revenues and the journal, filtered by period, 款項目節
and 課, as paginated JSON or a streamed CSV (?format=csv). Read-only: writes are the services' (the clerk's
pages). An individual 債権者 is never named here (their entry is personal data, read through the audited page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Model, QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from common.errors import PermissionDenied
from common.rest import CSVStreamRenderer, stream_csv
from finance.access import teacher_only
from finance.models import Assessment, BudgetAmount, Commitment, JournalLine, PaymentOrder, VendorKind
from tenants.access import request_roles

MODULE = "finance"

# Filter values are checked before they reach a query (a NUL or an overlong value is a 400, never a 500).
CODE = [RegexValidator(r"^[0-9]{2}(-[0-9]{2}){0,2}$", "科目コードは 02、02-01、02-01-01 の形で指定してください。")]
TWO_DIGITS = [RegexValidator(r"^[0-9]{2}$", "節は2桁の数字で指定してください。")]
UNIT = [RegexValidator(r"^[0-9A-Za-z_-]{1,20}$", "課コードは半角英数字で指定してください。")]
WORD = [RegexValidator(r"^[a-z_]{1,20}$", "種別・状態は英小文字のコードで指定してください。")]
YEAR = {"min_value": 1989, "max_value": 9998}


def _code_prefix(queryset: QuerySet[Any], field: str, value: str) -> QuerySet[Any]:
    """``budget_code=02`` selects the 款, ``02-01`` the 項, ``02-01-01`` the 目."""
    return queryset.filter(**{f"{field}__startswith": value})


class JournalFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="posted_on", lookup_expr="gte", label="計上日 from")
    until = django_filters.DateFilter(field_name="posted_on", lookup_expr="lte", label="計上日 up to")
    year = django_filters.NumberFilter(field_name="fiscal_year", label="年度", **YEAR)
    budget_code = django_filters.CharFilter(method="by_code", label="款・項・目 (02, 02-01, 02-01-01)", validators=CODE)
    setsu = django_filters.CharFilter(field_name="setsu", label="節 (2桁)", validators=TWO_DIGITS)
    department = django_filters.CharFilter(field_name="department_code", label="課コード", validators=UNIT)
    kind = django_filters.CharFilter(field_name="kind", label="種別", validators=WORD)

    class Meta:
        model = JournalLine
        fields: ClassVar[list[str]] = []

    def by_code(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _code_prefix(queryset, "budget_code", value)


class CommitmentFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="committed_on", lookup_expr="gte", label="負担行為日 from")
    until = django_filters.DateFilter(field_name="committed_on", lookup_expr="lte", label="負担行為日 up to")
    year = django_filters.NumberFilter(field_name="fiscal_year", label="年度", **YEAR)
    budget_code = django_filters.CharFilter(method="by_code", label="款・項・目", validators=CODE)
    setsu = django_filters.CharFilter(field_name="line__setsu", label="節", validators=TWO_DIGITS)
    department = django_filters.CharFilter(field_name="department_code", label="課コード", validators=UNIT)
    status = django_filters.CharFilter(field_name="status", label="状態", validators=WORD)

    class Meta:
        model = Commitment
        fields: ClassVar[list[str]] = []

    def by_code(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _code_prefix(queryset, "line__budget_code", value)


class OrderFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="pay_on", lookup_expr="gte", label="支払(予定)日 from")
    until = django_filters.DateFilter(field_name="pay_on", lookup_expr="lte", label="支払(予定)日 up to")
    year = django_filters.NumberFilter(field_name="commitment__fiscal_year", label="年度", **YEAR)
    budget_code = django_filters.CharFilter(method="by_code", label="款・項・目", validators=CODE)
    setsu = django_filters.CharFilter(field_name="commitment__line__setsu", label="節", validators=TWO_DIGITS)
    department = django_filters.CharFilter(field_name="commitment__department_code", label="課コード", validators=UNIT)
    status = django_filters.CharFilter(field_name="status", label="状態", validators=WORD)

    class Meta:
        model = PaymentOrder
        fields: ClassVar[list[str]] = []

    def by_code(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _code_prefix(queryset, "commitment__line__budget_code", value)


class AssessmentFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="assessed_on", lookup_expr="gte", label="調定日 from")
    until = django_filters.DateFilter(field_name="assessed_on", lookup_expr="lte", label="調定日 up to")
    year = django_filters.NumberFilter(field_name="fiscal_year", label="年度", **YEAR)
    budget_code = django_filters.CharFilter(method="by_code", label="款・項・目", validators=CODE)
    setsu = django_filters.CharFilter(field_name="line__setsu", label="節", validators=TWO_DIGITS)
    department = django_filters.CharFilter(field_name="line__department_code", label="課コード", validators=UNIT)

    class Meta:
        model = Assessment
        fields: ClassVar[list[str]] = []

    def by_code(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _code_prefix(queryset, "line__budget_code", value)


class BudgetFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="version__fiscal_year__year", label="年度", **YEAR)
    budget_code = django_filters.CharFilter(method="by_code", label="款・項・目", validators=CODE)
    setsu = django_filters.CharFilter(field_name="line__setsu", label="節", validators=TWO_DIGITS)
    department = django_filters.CharFilter(field_name="line__department_code", label="課コード", validators=UNIT)

    class Meta:
        model = BudgetAmount
        fields: ClassVar[list[str]] = []

    def by_code(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _code_prefix(queryset, "line__budget_code", value)


class JournalOut(serializers.ModelSerializer):
    class Meta:
        model = JournalLine
        fields = [
            "seq", "posted_on", "fiscal_year", "account_code", "side", "budget_code", "setsu", "saisetsu",
            "department_code", "kind", "amount", "source_type", "source_number", "memo", "actor_name", "recorded_at",
            "row_hash",
        ]  # fmt: skip


def _payee(commitment: Commitment) -> str:
    vendor = commitment.vendor
    if vendor is not None and vendor.kind == VendorKind.INDIVIDUAL:
        return f"個人 {vendor.public_id}"
    return commitment.payee_name


class CommitmentOut(serializers.ModelSerializer):
    budget_code = serializers.CharField(source="line.budget_code")
    setsu = serializers.CharField(source="line.setsu")
    payee = serializers.SerializerMethodField()

    class Meta:
        model = Commitment
        fields = [
            "number", "fiscal_year", "budget_code", "setsu", "kind", "status", "payee", "amount", "purpose",
            "committed_on", "department_code", "committed_by_name", "inspected_by_name", "inspected_on",
        ]  # fmt: skip

    def get_payee(self, commitment: Commitment) -> str:
        return _payee(commitment)


class OrderOut(serializers.ModelSerializer):
    commitment = serializers.CharField(source="commitment.number")
    budget_code = serializers.CharField(source="commitment.line.budget_code")
    setsu = serializers.CharField(source="commitment.line.setsu")

    class Meta:
        model = PaymentOrder
        fields = [
            "number", "commitment", "budget_code", "setsu", "amount", "pay_on", "method", "status",
            "ordered_by_name", "audited_by_name", "paid_on", "paid_by_name",
        ]  # fmt: skip


class AssessmentOut(serializers.ModelSerializer):
    budget_code = serializers.CharField(source="line.budget_code")
    setsu = serializers.CharField(source="line.setsu")

    class Meta:
        model = Assessment
        fields = [
            "number", "fiscal_year", "budget_code", "setsu", "amount", "purpose", "assessed_on", "due_on", "status",
            "assessed_by_name",
        ]  # fmt: skip


class BudgetOut(serializers.ModelSerializer):
    year = serializers.IntegerField(source="version.fiscal_year.year")
    version = serializers.IntegerField(source="version.number")
    budget_code = serializers.CharField(source="line.budget_code")
    setsu = serializers.CharField(source="line.setsu")
    saisetsu = serializers.CharField(source="line.saisetsu")
    name = serializers.CharField(source="line.name")
    department_code = serializers.CharField(source="line.department_code")

    class Meta:
        model = BudgetAmount
        fields = ["year", "version", "budget_code", "setsu", "saisetsu", "name", "department_code", "amount"]


class _AuditorList(ListAPIView):
    """読み取り専用の一覧 (JSON・ページ単位) または絞り込んだ全件の CSV (逐次出力) / A read-only list as paginated JSON,
    or the whole filtered list as a streamed CSV."""

    kyodo_module = MODULE
    renderer_classes = [JSONRenderer, CSVStreamRenderer]
    csv_name = "finance.csv"
    ordering: ClassVar[tuple[str, ...]] = ("pk",)
    related: ClassVar[tuple[str, ...]] = ()

    def base_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        rows = self.base_queryset()
        if self.related:
            rows = rows.select_related(*self.related)
        return rows.order_by(*self.ordering)

    # A list (so the schema shows the paginated shape) whose CSV is streamed instead of rendered.
    def list(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        if teacher_only(request_roles(request._request)):
            raise PermissionDenied("教員はこの一覧を参照できません(学校の予算画面のみ)。")
        if request.accepted_renderer.format == "csv":
            rows = self.filter_queryset(self.get_queryset())  # the whole filtered list, streamed
            serializer: Any = self.get_serializer_class()
            header = list(serializer.Meta.fields)
            to_row: Callable[[Model], list[Any]] = lambda obj: [serializer(obj).data[name] for name in header]  # noqa: E731
            return stream_csv(self.csv_name, header, rows.iterator(chunk_size=1000), to_row)
        return super().list(request, *args, **kwargs)


FORMAT = OpenApiParameter("format", str, enum=["json", "csv"])


@extend_schema(parameters=[FORMAT], summary="仕訳 (journal lines) / The hash-chained journal")
class JournalView(_AuditorList):
    serializer_class = JournalOut
    filterset_class = JournalFilter
    csv_name = "journal.csv"
    ordering = ("seq",)

    def base_queryset(self) -> QuerySet[Any]:
        return JournalLine.objects.all()


@extend_schema(parameters=[FORMAT], summary="支出負担行為 / Expenditure commitments")
class CommitmentListView(_AuditorList):
    serializer_class = CommitmentOut
    filterset_class = CommitmentFilter
    csv_name = "commitments.csv"
    ordering = ("number",)
    related = ("line", "vendor")

    def base_queryset(self) -> QuerySet[Any]:
        return Commitment.objects.all()


@extend_schema(parameters=[FORMAT], summary="支出命令・支払 / Payment orders and payments")
class PaymentListView(_AuditorList):
    serializer_class = OrderOut
    filterset_class = OrderFilter
    csv_name = "payments.csv"
    ordering = ("number",)
    related = ("commitment", "commitment__line")

    def base_queryset(self) -> QuerySet[Any]:
        return PaymentOrder.objects.all()


@extend_schema(parameters=[FORMAT], summary="調定 / Revenue assessments")
class RevenueListView(_AuditorList):
    serializer_class = AssessmentOut
    filterset_class = AssessmentFilter
    csv_name = "revenues.csv"
    ordering = ("number",)
    related = ("line",)

    def base_queryset(self) -> QuerySet[Any]:
        return Assessment.objects.all()


@extend_schema(parameters=[FORMAT], summary="予算(当初・補正の版ごと) / Budget amounts per version")
class BudgetListView(_AuditorList):
    serializer_class = BudgetOut
    filterset_class = BudgetFilter
    csv_name = "budgets.csv"
    ordering = ("version__fiscal_year__year", "version__number", "line__budget_code", "line__setsu")
    related = ("version", "version__fiscal_year", "line")

    def base_queryset(self) -> QuerySet[Any]:
        return BudgetAmount.objects.all()
