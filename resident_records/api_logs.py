"""REST views for auditors and clerks: the 交付履歴 and the 支援措置 alert list.

No names leave through these endpoints: the 交付履歴 carries 発行番号, kind, times, the issuing clerk and the
宛名番号 of the persons printed (標準仕様書 §1.3.8); the alert list carries 宛名番号, period and status only —
never the 加害者 information of a 支援措置 (docs/domain/resident_register.md). Every list and export is audited.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.dates import local_today
from common.filters import filters_for
from common.rest import CSVStreamRenderer, stream_csv
from resident_records import selectors
from resident_records.filters import CertificateIssuanceFilter
from resident_records.models import CertificateIssuance, SupportMeasure
from tenants.access import person_of

MODULE = "resident_records"
TOKYO = ZoneInfo("Asia/Tokyo")


class IssuanceOut(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    voided = serializers.BooleanField(source="is_void")
    atena_numbers = serializers.SerializerMethodField()

    class Meta:
        model = CertificateIssuance
        fields = [
            "number", "kind", "kind_label", "issued_at", "issued_by_name", "terminal", "page_count", "voided",
            "voided_at", "void_reason", "atena_numbers",
        ]  # fmt: skip

    def get_atena_numbers(self, issuance: CertificateIssuance) -> list[str]:
        return sorted(r.atena_number for r in issuance.residents.all())


class AttentionOut(serializers.Serializer):
    atena_number = serializers.CharField(source="resident.atena_number")
    kind = serializers.CharField()
    start_on = serializers.DateField()
    end_on = serializers.DateField()
    status = serializers.SerializerMethodField(help_text="ending_soon (終了間近) or lapsed (期間経過・措置継続中)")
    temporarily_released = serializers.SerializerMethodField()

    def get_status(self, measure: SupportMeasure) -> str:
        return "lapsed" if measure.end_on < self.context["today"] else "ending_soon"

    def get_temporarily_released(self, measure: SupportMeasure) -> bool:
        # Annotated by support.measures_needing_attention: read with the list, no query per row.
        return bool(measure.temporarily_released_now)  # type: ignore[attr-defined]


class IssuanceLogView(GenericAPIView):
    """交付履歴 (標準仕様書 §1.3.8), JSON (paginated) or streamed CSV."""

    kyodo_module = MODULE
    serializer_class = IssuanceOut
    filterset_class = CertificateIssuanceFilter
    renderer_classes = [JSONRenderer, CSVStreamRenderer]

    def get_queryset(self) -> QuerySet[CertificateIssuance]:
        return CertificateIssuance.objects.none()  # for the schema; the list is selectors.certificate_issuance_log

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
        responses=IssuanceOut(many=True),
        summary="住民票の写し等の交付履歴 (氏名なし) / The certificate issuance log, without names",
        description=(
            "証明書の交付履歴(標準仕様書 §1.3.8)。ページ分割した JSON、または ?format=csv で CSV。\n\n"
            "The certificate issuance log (standard §1.3.8), as paginated JSON or a streamed CSV (?format=csv)."
        ),
    )
    def get(self, request: Request) -> HttpResponseBase:
        filters = filters_for(self, request)
        export = request.accepted_renderer.format == "csv"
        rows = selectors.certificate_issuance_log(actor=person_of(request._request), filters=filters, export=export)
        if export:
            header = ["number", "kind", "kind_label", "issued_at", "issued_by_name", "terminal", "page_count",
                      "voided", "voided_at", "void_reason", "atena_numbers"]  # fmt: skip

            def row(issuance: CertificateIssuance) -> list[Any]:
                return [
                    issuance.number, issuance.kind, issuance.get_kind_display(),
                    issuance.issued_at.astimezone(TOKYO).isoformat(), issuance.issued_by_name, issuance.terminal,
                    issuance.page_count, int(issuance.is_void),
                    issuance.voided_at.astimezone(TOKYO).isoformat() if issuance.voided_at else "",
                    issuance.void_reason, " ".join(sorted(r.atena_number for r in issuance.residents.all())),
                ]  # fmt: skip

            return stream_csv("certificate-issuances.csv", header, rows.iterator(chunk_size=500), row)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(IssuanceOut(page, many=True).data)


class SupportAttentionView(GenericAPIView):
    """支援措置 ending within a month or lapsed (still blocking until released): for the 支援措置責任者."""

    kyodo_module = MODULE
    filter_backends = []  # filters are read by the view's own query serializer; no model queryset to filter
    serializer_class = AttentionOut

    @extend_schema(
        responses=AttentionOut(many=True),
        summary="対応が必要な支援措置 (加害者情報なし) / Support measures needing attention (no perpetrator details)",
        description=(
            "1か月以内に終了する、または期間が過ぎた(解除まで制限は続く)支援措置。支援措置責任者向け。\n\n"
            "Support measures ending within a month or lapsed (still blocking until released), for the officer."
        ),
    )
    def get(self, request: Request) -> Response:
        today = local_today()
        measures = selectors.support_measures_needing_attention(actor=person_of(request._request), today=today)
        page = self.paginate_queryset(measures)
        return self.get_paginated_response(AttentionOut(page, many=True, context={"today": today}).data)
